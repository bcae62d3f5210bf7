/**
 * The HTTP listener under a service, on whichever runtime runs it: `Bun.serve` on
 * Bun, `Deno.serve` on Deno. Both hand the app web-standard `Request`s, so an
 * Elysia app (or the gateway's handler) is built the same way on either and this
 * file is the only place that differs.
 *
 * What differs underneath, and how it is evened out here:
 * - Body limits: Bun refuses a body over `maxRequestBodyBytes` itself (413). On
 *   Deno a declared `Content-Length` over the limit is answered 413 before the app
 *   sees the request, and a chunked body is cut off with a 413 error once it
 *   passes the limit (the app's body reader turns that into its answer).
 * - Forced stop: Bun can close open connections; Deno's `shutdown()` only waits
 *   for them, so a forced stop on Deno stops waiting and lets the process exit.
 * - WebSockets: `acceptWebSocket` (websocket.ts) upgrades with Bun's
 *   `server.upgrade` (the fetch then answers nothing) or `Deno.upgradeWebSocket`
 *   (the fetch answers its 101).
 * - TLS: both serve HTTPS from the settings' files. Client certificates (mutual
 *   TLS) and reloading a changed certificate without a restart are Bun's only.
 */
import { readFileSync, statSync } from 'node:fs'
import { AppError, problemResponse } from './errors.ts'
import { requestIdOf } from './http.ts'
import type { TlsSettings } from './tls-config.ts'
import {
  allowUpgrade,
  isWebSocketUpgrade,
  type LiveSocket,
  MAX_WEBSOCKET_FRAME_BYTES,
  type WebSocketSession,
} from './websocket.ts'

/** Which runtime runs this process. */
export type RuntimeName = 'bun' | 'deno' | 'node'

/** @example runtimeName() // 'bun' under `bun run`, 'deno' under `deno run` */
export function runtimeName(): RuntimeName {
  if ('Bun' in globalThis) return 'bun'
  if ('Deno' in globalThis) return 'deno'
  return 'node'
}

export interface HttpServerOptions {
  hostname: string
  /** 0 picks a free port (see `HttpServer.port`). */
  port: number
  /** Largest request body, bytes; a larger one is answered 413. */
  maxRequestBodyBytes: number
  /** Answers one request; `clientAddress` is the peer's IP when the runtime knows it. */
  fetch(request: Request, clientAddress: string | undefined): Response | Promise<Response>
  /** The answer when `fetch` throws (it should not: the app answers its own errors). */
  error(err: unknown): Response
  /** Serve HTTPS (and require client certificates) with these files; see tls-config.ts. */
  tls?: TlsSettings
  /** Hears each certificate reload: `error` when the new files could not be served. */
  onTlsReload?: (e: { error?: string }) => void
}

export interface HttpServer {
  /** The bound port. */
  port: number
  /**
   * Stops accepting connections and resolves once in-flight requests finished;
   * `force` closes them instead (Bun) or stops waiting (Deno).
   */
  stop(force: boolean): Promise<void>
}

/**
 * Listens on `hostname:port` with the runtime's own server.
 * @throws when the port cannot be bound (EADDRINUSE on Bun, AddrInUse on Deno),
 *   or on a runtime with neither server.
 * @example const server = serveHttp({ hostname: '127.0.0.1', port: 0, maxRequestBodyBytes: 1 << 20, fetch: app.handle, error })
 */
export function serveHttp(o: HttpServerOptions): HttpServer {
  const runtime = runtimeName()
  if (runtime === 'bun') return serveWithBun(o)
  if (runtime === 'deno') return serveWithDeno(o)
  throw new Error('serveHttp needs Bun or Deno (Bun.serve or Deno.serve)')
}

function serveWithBun(o: HttpServerOptions): HttpServer {
  const listen = (port: number) =>
    Bun.serve({
      hostname: o.hostname,
      port,
      maxRequestBodySize: o.maxRequestBodyBytes,
      // Never Bun's HTML error page (file paths, source lines), whatever NODE_ENV says.
      development: false,
      fetch: (request, server) => {
        const address = server.requestIP(request)?.address
        if (!isWebSocketUpgrade(request)) return o.fetch(request, address)
        let upgraded = false
        allowUpgrade(request, (req, session) => {
          if (!server.upgrade(req, { data: session })) throw new Error('WebSocket upgrade failed')
          upgraded = true
          return new Response(null, { status: 200 })
        })
        // After Bun's upgrade the connection is the socket's: no HTTP answer.
        return Promise.resolve(o.fetch(request, address)).then((res) =>
          upgraded ? undefined : res,
        )
      },
      websocket: {
        maxPayloadLength: MAX_WEBSOCKET_FRAME_BYTES,
        open: (ws) => ws.data.open(liveSocket(ws)),
        message: (ws, message) =>
          ws.data.message?.(typeof message === 'string' ? message : message.toString('utf8')),
        close: (ws, code, reason) => ws.data.close?.(code, reason),
      } satisfies Bun.WebSocketHandler<WebSocketSession>,
      error: o.error,
      ...(o.tls ? { tls: bunTls(o.tls), reusePort: true } : {}),
    })
  let server = listen(o.port)
  const port = server.port!
  const stopWatching = o.tls
    ? watchFiles([o.tls.certFile, o.tls.keyFile, o.tls.caFile], o.tls.reloadIntervalMs, () => {
        // Bun cannot swap a listener's certificate: a second listener with the new
        // one takes the port (SO_REUSEPORT), then the old one drains and closes.
        try {
          const next = listen(port)
          const old = server
          server = next
          void old.stop(false)
          o.onTlsReload?.({})
        } catch (err) {
          o.onTlsReload?.({ error: (err as Error).message })
        }
      })
    : () => {}
  return {
    port,
    stop: (force) => {
      stopWatching()
      return server.stop(force)
    },
  }
}

/** Bun's socket as a LiveSocket: sends and closes are ignored once it is closed. */
function liveSocket(ws: Bun.ServerWebSocket<WebSocketSession>): LiveSocket {
  return {
    send: (text) => void ws.send(text),
    close: (code, reason) => ws.close(code, reason),
  }
}

/** Bun's TLS options for the settings: client certificates required against the CA when asked. */
function bunTls(tls: TlsSettings) {
  return {
    cert: readFileSync(tls.certFile, 'utf8'),
    key: readFileSync(tls.keyFile, 'utf8'),
    ...(tls.caFile ? { ca: readFileSync(tls.caFile, 'utf8') } : {}),
    requestCert: tls.requireClientCert,
    rejectUnauthorized: tls.requireClientCert,
  }
}

/**
 * Calls `changed` when any of `files` has a new modification time or size,
 * checking every `everyMs`; a file briefly missing (mid-rename) is not a change.
 * @returns the function that stops watching.
 */
export function watchFiles(
  files: (string | undefined)[],
  everyMs: number,
  changed: () => void,
): () => void {
  const present = files.filter((f): f is string => Boolean(f))
  const stamp = () =>
    present
      .map((f) => {
        try {
          const s = statSync(f)
          return `${s.mtimeMs}:${s.size}`
        } catch {
          return null
        }
      })
      .join('|')
  let last = stamp()
  const timer = setInterval(() => {
    const now = stamp()
    if (now === last || now.split('|').includes('')) return
    last = now
    changed()
  }, everyMs)
  timer.unref?.()
  return () => clearInterval(timer)
}

/** The part of Deno's API used here (`Deno.serve`, Deno 2), typed for a Bun-typed build. */
interface DenoServe {
  serve(
    options: {
      hostname: string
      port: number
      onListen(): void
      onError(err: unknown): Response
      cert?: string
      key?: string
    },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname?: string } },
    ) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> }
  upgradeWebSocket(request: Request): { socket: WebSocket; response: Response }
}

/** Deno's upgrade: its 101 answer, the socket's events handed to the session. */
function denoUpgrade(deno: DenoServe, request: Request, session: WebSocketSession): Response {
  const { socket, response } = deno.upgradeWebSocket(request)
  const live: LiveSocket = {
    send: (text) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(text)
    },
    close: (code, reason) => socket.close(code, reason),
  }
  socket.onopen = () => session.open(live)
  socket.onmessage = (e) => {
    const text = typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data)
    // Deno has no frame limit of its own: the same one as Bun's, with its close code.
    if (text.length > MAX_WEBSOCKET_FRAME_BYTES) socket.close(1009, 'message too big')
    else session.message?.(text)
  }
  socket.onclose = (e) => session.close?.(e.code, e.reason)
  return response
}

function serveWithDeno(o: HttpServerOptions): HttpServer {
  const deno = (globalThis as unknown as { Deno: DenoServe }).Deno
  if (o.tls?.requireClientCert)
    throw new Error('client certificates (TLS_CLIENT_AUTH=require) are served on Bun only')
  const tls = o.tls
    ? { cert: readFileSync(o.tls.certFile, 'utf8'), key: readFileSync(o.tls.keyFile, 'utf8') }
    : {}
  const server = deno.serve(
    // onListen: Deno would print "Listening on ..."; the kit logs its own line.
    { hostname: o.hostname, port: o.port, onListen: () => {}, onError: o.error, ...tls },
    (request, info) => {
      const limited = limitBody(request, o.maxRequestBodyBytes)
      if (limited instanceof Response) return limited
      if (isWebSocketUpgrade(limited))
        allowUpgrade(limited, (req, session) => denoUpgrade(deno, req, session))
      return o.fetch(limited, info.remoteAddr.hostname)
    },
  )
  return {
    port: server.addr.port,
    stop: async (force) => {
      const drained = server.shutdown()
      if (!force) await drained
    },
  }
}

/**
 * The request with its body held to `max` bytes: 413 at once for a larger
 * Content-Length, else a chunked body that errors with AppError 413 past `max`.
 */
function limitBody(request: Request, max: number): Request | Response {
  if (!request.body) return request
  const declared = request.headers.get('content-length')
  if (declared !== null) {
    if (Number(declared) <= max) return request
    return problemResponse({
      status: 413,
      code: 'body_too_large',
      detail: `Request bodies are limited to ${max} bytes`,
      requestId: requestIdOf(request),
      headers: { connection: 'close' },
    })
  }
  let seen = 0
  const body = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength
        if (seen > max)
          controller.error(
            new AppError(413, 'body_too_large', `Request bodies are limited to ${max} bytes`),
          )
        else controller.enqueue(chunk)
      },
    }),
  )
  return new Request(request, { body, duplex: 'half' } as RequestInit)
}
