/**
 * A small OTLP/HTTP trace receiver for development (`harness up` runs it when no
 * OTEL_EXPORTER_OTLP_ENDPOINT is given): it accepts `POST /v1/traces` in the
 * OTLP/JSON encoding, keeps the most recent spans in memory, and answers queries
 * by trace id and by service (slowest first) for the dashboard. Deployments use
 * a real OpenTelemetry Collector (compose/monitoring).
 * Source: opentelemetry.io/docs/specs/otlp/#otlphttp (JSON encoding: ids in hex).
 */
import { problemResponse } from '@civildiy/kit'

/** One span as stored: times in ms since the epoch. */
export interface StoredSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  service: string
  startMs: number
  endMs: number
  attributes: Record<string, string | number | boolean>
  error: boolean
}

export interface TraceSummary {
  traceId: string
  root: string
  services: string[]
  spans: number
  durationMs: number
  startMs: number
}

interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  doubleValue?: number
  boolValue?: boolean
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind?: number
  startTimeUnixNano: string | number
  endTimeUnixNano: string | number
  attributes?: { key: string; value: OtlpValue }[]
  status?: { code?: number }
}
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] }
    scopeSpans?: { spans?: OtlpSpan[] }[]
  }[]
}

const plainValue = (v: OtlpValue) =>
  v.stringValue ??
  (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue ?? ''))

function attributes(list: { key: string; value: OtlpValue }[] = []) {
  return Object.fromEntries(list.map((a) => [a.key, plainValue(a.value)]))
}

export interface OtlpReceiver {
  url: string
  port: number
  /** Spans of a trace, oldest first. */
  trace(traceId: string): StoredSpan[]
  /** Recent traces, slowest first; only those touching `service` when given. */
  traces(o?: { service?: string; limit?: number }): TraceSummary[]
  stop(): Promise<void>
}

/**
 * @param maxSpans spans kept; the oldest traces are dropped past it. Default 50,000.
 * @example const receiver = await startOtlpReceiver({ port: 4318 }); env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
 */
export function startOtlpReceiver(
  o: { port?: number; host?: string; maxSpans?: number } = {},
): OtlpReceiver {
  const byTrace = new Map<string, StoredSpan[]>()
  let count = 0
  const maxSpans = o.maxSpans ?? 50_000
  const add = (span: StoredSpan) => {
    const list = byTrace.get(span.traceId) ?? []
    if (list.length === 0) byTrace.set(span.traceId, list)
    list.push(span)
    count++
    // Maps keep insertion order: the first trace is the oldest.
    while (count > maxSpans) {
      const [oldest, spans] = byTrace.entries().next().value!
      byTrace.delete(oldest)
      count -= spans.length
    }
  }
  const ingest = (body: OtlpRequest) => {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributes(rs.resource?.attributes)['service.name'] ?? 'unknown')
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          add({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            name: s.name,
            kind: s.kind ?? 0,
            service,
            startMs: Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000,
            endMs: Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000,
            attributes: attributes(s.attributes),
            error: s.status?.code === 2,
          })
    }
  }
  const receiver: Omit<OtlpReceiver, 'url' | 'port' | 'stop'> = {
    trace: (id) => [...(byTrace.get(id) ?? [])].sort((a, b) => a.startMs - b.startMs),
    traces({ service, limit = 20 } = {}) {
      const out: TraceSummary[] = []
      for (const [traceId, spans] of byTrace) {
        if (service && !spans.some((s) => s.service === service)) continue
        const startMs = Math.min(...spans.map((s) => s.startMs))
        const root = spans.find(
          (s) => !s.parentSpanId || !spans.some((p) => p.spanId === s.parentSpanId),
        )
        out.push({
          traceId,
          root: root ? `${root.service}: ${root.name}` : spans[0]!.name,
          services: [...new Set(spans.map((s) => s.service))],
          spans: spans.length,
          durationMs: Math.max(...spans.map((s) => s.endMs)) - startMs,
          startMs,
        })
      }
      return out.sort((a, b) => b.durationMs - a.durationMs).slice(0, limit)
    },
  }
  const server = Bun.serve({
    hostname: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    maxRequestBodySize: 16 * 1024 * 1024,
    async fetch(request) {
      const url = new URL(request.url)
      if (request.method === 'POST' && url.pathname === '/v1/traces') {
        if (!(request.headers.get('content-type') ?? '').includes('json'))
          return problemResponse({
            status: 415,
            code: 'unsupported_media_type',
            detail: 'This receiver takes OTLP/JSON (set OTEL_EXPORTER_OTLP_PROTOCOL=http/json)',
          })
        const body = (await request.json().catch(() => null)) as OtlpRequest | null
        if (!body)
          return problemResponse({ status: 400, code: 'bad_request', detail: 'not OTLP/JSON' })
        ingest(body)
        return Response.json({})
      }
      const one = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url.pathname)
      if (request.method === 'GET' && one) return Response.json(receiver.trace(one[1]!))
      if (request.method === 'GET' && url.pathname === '/api/traces') {
        const limit = Math.min(200, Number(url.searchParams.get('limit') ?? 20) || 20)
        return Response.json(
          receiver.traces({ service: url.searchParams.get('service') ?? undefined, limit }),
        )
      }
      return problemResponse({
        status: 404,
        code: 'not_found',
        detail: `No ${request.method} ${url.pathname}`,
      })
    },
  })
  return {
    ...receiver,
    url: `http://${o.host ?? '127.0.0.1'}:${server.port}`,
    port: server.port!,
    stop: async () => void (await server.stop(true)),
  }
}
