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
 */
import { AppError, problemResponse } from './errors.ts'
import { requestIdOf } from './http.ts'

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
  const server = Bun.serve({
    hostname: o.hostname,
    port: o.port,
    maxRequestBodySize: o.maxRequestBodyBytes,
    // Never Bun's HTML error page (file paths, source lines), whatever NODE_ENV says.
    development: false,
    fetch: (request, server) => o.fetch(request, server.requestIP(request)?.address),
    error: o.error,
  })
  return { port: server.port!, stop: (force) => server.stop(force) }
}

/** The part of Deno's API used here (`Deno.serve`, Deno 2), typed for a Bun-typed build. */
interface DenoServe {
  serve(
    options: {
      hostname: string
      port: number
      onListen(): void
      onError(err: unknown): Response
    },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname?: string } },
    ) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> }
}

function serveWithDeno(o: HttpServerOptions): HttpServer {
  const deno = (globalThis as unknown as { Deno: DenoServe }).Deno
  const server = deno.serve(
    // onListen: Deno would print "Listening on ..."; the kit logs its own line.
    { hostname: o.hostname, port: o.port, onListen: () => {}, onError: o.error },
    (request, info) => {
      const limited = limitBody(request, o.maxRequestBodyBytes)
      return limited instanceof Response ? limited : o.fetch(limited, info.remoteAddr.hostname)
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
