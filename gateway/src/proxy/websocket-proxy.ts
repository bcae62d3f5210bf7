/**
 * Proxies a WebSocket (RFC 6455) to an instance of its route's service, for routes
 * marked `websocket: true`. The upstream socket is opened first, so an upstream
 * that is down or refuses is a 502 problem+json before the client's upgrade (never
 * a socket that opens and dies); then the client is upgraded and frames are piped
 * both ways, frames the upstream sent before the client's side opened kept in
 * order. A close on either side closes the other with the same code (codes that
 * cannot be sent, RFC 6455 §7.4.1: 1005 becomes 1000, 1006 becomes 1011).
 *
 * Browsers cannot set headers on a WebSocket, so the token may come as
 * `access_token` in the query (RFC 6750 §2.3); the gateway moves it into an
 * Authorization header upstream and drops it from the URL. The outcome is neutral
 * to the balancer: what a client's socket does never ejects an instance.
 * Bun only: Deno's WebSocket client takes no headers or client certificate.
 */
import { acceptWebSocket, problemResponse } from '@civildiy/kit'
import type { Route } from '../routes/route-table.ts'
import type { Outcome } from '../upstream/instance-health.ts'
import type { ForwardDeps } from './forward.ts'
import { type ForwardedFor, upstreamHeaders } from './headers.ts'

const UNSENDABLE: Record<number, number> = { 1005: 1000, 1006: 1011, 1015: 1011 }
const closeCode = (code: number) => UNSENDABLE[code] ?? code
const NOTHING_TRIED: ReadonlySet<string> = new Set()
const NEUTRAL: Outcome = { kind: 'neutral' }
/** Ms to open the upstream socket when the route has no timeout of its own. */
const CONNECT_TIMEOUT_MS = 5_000

/**
 * The bearer token carried as `access_token` in the query, and the path and query without it.
 * @example webSocketToken('/notifications/live?access_token=abc&after=3') // { token: 'abc', pathAndQuery: '/notifications/live?after=3' }
 */
export function webSocketToken(pathAndQuery: string): { token?: string; pathAndQuery: string } {
  const q = pathAndQuery.indexOf('?')
  if (q < 0) return { pathAndQuery }
  const params = new URLSearchParams(pathAndQuery.slice(q + 1))
  const token = params.get('access_token') ?? undefined
  if (token === undefined) return { pathAndQuery }
  params.delete('access_token')
  const rest = params.toString()
  return { token, pathAndQuery: pathAndQuery.slice(0, q) + (rest ? `?${rest}` : '') }
}

/** Opens `url`; resolves the open socket, or null when it failed or took over `timeoutMs`. */
function openUpstream(
  url: string,
  init: Record<string, unknown>,
  timeoutMs: number,
): Promise<WebSocket | null> {
  // Bun's WebSocket takes `headers` and `tls` in a second argument.
  const socket = new WebSocket(url, init as unknown as string[])
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.close()
      resolve(null)
    }, timeoutMs)
    socket.onopen = () => {
      clearTimeout(timer)
      resolve(socket)
    }
    socket.onerror = socket.onclose = () => {
      clearTimeout(timer)
      resolve(null)
    }
  })
}

/**
 * @param token the client's verified token, sent upstream as Authorization.
 * @returns the upgrade's Response (return it as is), or a problem, and the instance tried.
 * @example const { response } = await proxyWebSocket(request, route, '/notifications/live', f, token, deps)
 */
export async function proxyWebSocket(
  request: Request,
  route: Route,
  pathAndQuery: string,
  f: ForwardedFor,
  token: string | undefined,
  d: ForwardDeps,
): Promise<{ response: Response; tried: string[]; failure?: 'no_instance' | 'unreachable' }> {
  const instance = d.balancer.pick(
    d.directory.instances(route.service),
    NOTHING_TRIED,
    route.prefix,
  )
  const problem = (status: number, code: string, detail: string) =>
    problemResponse({ status, code, detail, requestId: f.requestId })
  if (!instance)
    return {
      response: problem(503, 'no_instance', `No instance of ${route.prefix} is available`),
      tried: [],
      failure: 'no_instance',
    }
  const headers = upstreamHeaders(request.headers, f)
  for (const name of Object.keys(headers))
    if (name.startsWith('sec-websocket-')) delete headers[name]
  if (token) headers.authorization = `Bearer ${token}`
  const https = instance.url.startsWith('https:')
  const upstream = await openUpstream(
    instance.url.replace(/^http/, 'ws') + pathAndQuery,
    { headers, ...(https && d.upstreamTls ? d.upstreamTls() : {}) },
    route.timeoutMs || CONNECT_TIMEOUT_MS,
  )
  // The pick counted an outstanding request; a socket's life is not one, whatever its end.
  d.balancer.settle(instance, NEUTRAL, route.prefix)
  if (!upstream)
    return {
      response: problem(
        502,
        'upstream_unreachable',
        `${route.prefix} did not accept the WebSocket`,
      ),
      tried: [instance.id],
      failure: 'unreachable',
    }
  return { response: pipe(request, upstream), tried: [instance.id] }
}

/** Upgrades the client and joins its socket to the open `upstream`. */
function pipe(request: Request, upstream: WebSocket): Response {
  const early: string[] = []
  let client: { send(text: string): void; close(code?: number, reason?: string): void } | null =
    null
  let upstreamClosed: { code: number; reason: string } | null = null
  upstream.onmessage = (e) => {
    const text = typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data)
    if (client) client.send(text)
    else early.push(text)
  }
  upstream.onclose = (e) => {
    upstreamClosed = { code: closeCode(e.code), reason: e.reason }
    client?.close(upstreamClosed.code, upstreamClosed.reason)
  }
  try {
    return acceptWebSocket(request, {
      open(socket) {
        client = socket
        for (const text of early.splice(0)) socket.send(text)
        if (upstreamClosed) socket.close(upstreamClosed.code, upstreamClosed.reason)
      },
      message: (text) => upstream.send(text),
      close: (code, reason) => upstream.close(closeCode(code), reason),
    })
  } catch (err) {
    upstream.close(1011, 'client upgrade failed')
    throw err
  }
}
