/**
 * The harness's own HTTP port (default 18888, loopback only): the OTLP/HTTP
 * trace receiver the services export to (`POST /v1/traces`, `GET /api/traces`)
 * and the dashboard under `/_dev`. Because the dashboard can kill processes and
 * run drills, requests must name a loopback or the bound host (no DNS
 * rebinding), and a state-changing request from a browser must come from the
 * dashboard's own origin with a JSON body (no cross-site form posts).
 */
import { problemResponse } from '@civildiy/kit'
import { handleOtlpRequest, type TraceStore } from '../traces/otlp-receiver.ts'

type Handler = (request: Request) => Response | Promise<Response>

export interface HarnessServer {
  url: string
  port: number
  /** Serves the dashboard from now on (the trace receiver serves from the start). */
  mount(dashboard: Handler): void
  stop(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])

/** Why a request is refused, or null when it may go on. */
export function refusal(request: Request, boundHost: string): string | null {
  const url = new URL(request.url)
  const host = request.headers.get('host') ?? ''
  const hostname = host.replace(/:\d+$/, '')
  if (!LOOPBACK.has(hostname) && hostname !== boundHost)
    return `Host ${host || '(none)'} is not this machine's dashboard`
  if (request.method === 'GET' || request.method === 'HEAD' || !url.pathname.startsWith('/_dev'))
    return null
  const origin = request.headers.get('origin')
  if (origin && origin !== `${url.protocol}//${host}`)
    return `Origin ${origin} may not act on the dashboard`
  const type = request.headers.get('content-type') ?? ''
  if (origin && !type.startsWith('application/json'))
    return 'Dashboard actions take a JSON body (application/json)'
  return null
}

/**
 * @example const server = startHarnessServer({ host: '127.0.0.1', port: 18888, traces }); server.mount(app.fetch)
 */
export function startHarnessServer(o: {
  host: string
  port: number
  traces: TraceStore
}): HarnessServer {
  let dashboard: Handler | null = null
  const server = Bun.serve({
    hostname: o.host,
    port: o.port,
    maxRequestBodySize: 16 * 1024 * 1024,
    // The live stream sends at least every 5 s.
    idleTimeout: 30,
    async fetch(request) {
      const refused = refusal(request, o.host)
      if (refused) return problemResponse({ status: 403, code: 'forbidden', detail: refused })
      const otlp = await handleOtlpRequest(o.traces, request)
      if (otlp) return otlp
      if (dashboard && new URL(request.url).pathname.startsWith('/_dev')) return dashboard(request)
      return problemResponse({
        status: 404,
        code: 'not_found',
        detail: 'The dashboard is at /_dev; traces are posted to /v1/traces',
      })
    },
  })
  return {
    url: `http://${o.host}:${server.port}`,
    port: server.port!,
    mount: (handler) => {
      dashboard = handler
    },
    stop: async () => void (await server.stop(true)),
  }
}
