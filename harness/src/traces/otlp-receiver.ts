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
  /** The root span's `http.route` (or its name). */
  route: string
  /** The root span's HTTP status, when it is an HTTP server span. */
  status: number | null
  /** Whether any span ended with an error status. */
  error: boolean
}

/** Which traces `traces()` returns. */
export interface TraceQuery {
  /** Only traces with a span of this service. */
  service?: string
  /** Only traces whose root route contains this text. */
  route?: string
  /** `error`: traces with an error span or a 5xx root; `ok`: the others. */
  status?: 'ok' | 'error'
  /** Only traces at least this long, ms. */
  minMs?: number
  /** `slowest` (default) or `recent` first. */
  sort?: 'slowest' | 'recent'
  /** Default 20. */
  limit?: number
}

/** A producer or consumer seen in spans: `posts → civildiy.posts`, `civildiy.posts → feed`. */
export interface EventFlow {
  from: string
  to: string
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
/** An OTLP/JSON ExportTraceServiceRequest, as far as this receiver reads it. */
export interface OtlpRequest {
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

/** The spans received, by trace. */
export interface TraceStore {
  /** Spans of a trace, oldest first. */
  trace(traceId: string): StoredSpan[]
  /** Traces matching `q` (see TraceQuery). */
  traces(q?: TraceQuery): TraceSummary[]
  /** Producer and consumer edges seen so far. */
  flows(): EventFlow[]
  /** Calls `listener` with the ids of traces that got spans in one export; returns the unsubscribe function. */
  subscribe(listener: (traceIds: string[]) => void): () => void
  /** Stores an OTLP/JSON export request. */
  ingest(body: OtlpRequest): void
}

export interface OtlpReceiver extends TraceStore {
  url: string
  port: number
  stop(): Promise<void>
}

const SPAN_KIND_PRODUCER = 4
const SPAN_KIND_CONSUMER = 5

function summarizeTrace(traceId: string, spans: StoredSpan[]): TraceSummary {
  let startMs = Number.POSITIVE_INFINITY
  let endMs = 0
  for (const s of spans) {
    startMs = Math.min(startMs, s.startMs)
    endMs = Math.max(endMs, s.endMs)
  }
  const ids = new Set(spans.map((s) => s.spanId))
  const root = spans.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? spans[0]!
  const status = Number(root.attributes['http.response.status_code'] ?? Number.NaN)
  return {
    traceId,
    root: `${root.service}: ${root.name}`,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    spans: spans.length,
    durationMs: endMs - startMs,
    startMs,
    route: String(root.attributes['http.route'] ?? root.name),
    status: Number.isFinite(status) ? status : null,
    error: spans.some((s) => s.error) || status >= 500,
  }
}

function matches(t: TraceSummary, spans: StoredSpan[], q: TraceQuery) {
  return (
    (!q.service || spans.some((s) => s.service === q.service)) &&
    (!q.route || t.route.includes(q.route) || t.root.includes(q.route)) &&
    (!q.status || (q.status === 'error') === t.error) &&
    (!q.minMs || t.durationMs >= q.minMs)
  )
}

/**
 * @param maxSpans spans kept; the oldest traces are dropped past it. Default 50,000.
 * @example const store = createTraceStore(); store.ingest(body); store.traces({ service: 'feed' })
 */
export function createTraceStore(maxSpans = 50_000): TraceStore {
  const byTrace = new Map<string, StoredSpan[]>()
  const flows = new Map<string, EventFlow>()
  const listeners = new Set<(ids: string[]) => void>()
  let count = 0
  const addFlow = (span: StoredSpan) => {
    const topic = span.attributes['messaging.destination.name']
    if (typeof topic !== 'string') return
    const flow =
      span.kind === SPAN_KIND_PRODUCER
        ? { from: span.service, to: topic }
        : span.kind === SPAN_KIND_CONSUMER
          ? { from: topic, to: span.service }
          : null
    if (flow) flows.set(`${flow.from}>${flow.to}`, flow)
  }
  const add = (span: StoredSpan) => {
    addFlow(span)
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
    const touched = new Set<string>()
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributes(rs.resource?.attributes)['service.name'] ?? 'unknown')
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? []) {
          if (typeof s.traceId !== 'string' || typeof s.spanId !== 'string') continue
          touched.add(s.traceId)
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
    if (touched.size) for (const l of listeners) l([...touched])
  }
  return {
    ingest,
    trace: (id) => [...(byTrace.get(id) ?? [])].sort((a, b) => a.startMs - b.startMs),
    traces(q = {}) {
      const out: TraceSummary[] = []
      for (const [traceId, spans] of byTrace) {
        const t = summarizeTrace(traceId, spans)
        if (matches(t, spans, q)) out.push(t)
      }
      return out
        .sort((a, b) => (q.sort === 'recent' ? b.startMs - a.startMs : b.durationMs - a.durationMs))
        .slice(0, q.limit ?? 20)
    },
    flows: () => [...flows.values()],
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

const numberParam = (v: string | null) => (v && Number.isFinite(Number(v)) ? Number(v) : undefined)

/** The trace query a URL's search parameters ask for (unknown values ignored; limit at most 200). */
export function traceQueryOf(params: URLSearchParams): TraceQuery {
  const status = params.get('status')
  const sort = params.get('sort')
  return {
    service: params.get('service') || undefined,
    route: params.get('route') || undefined,
    status: status === 'ok' || status === 'error' ? status : undefined,
    minMs: numberParam(params.get('minMs')),
    sort: sort === 'recent' ? 'recent' : 'slowest',
    limit: Math.min(200, Math.max(1, numberParam(params.get('limit')) ?? 20)),
  }
}

/**
 * The receiver's HTTP API over a store: `POST /v1/traces` (OTLP/JSON), `GET
 * /api/traces[?service&route&status&minMs&sort&limit]`, `GET /api/traces/<id>`;
 * resolves null for any other path, so a bigger server can mount it.
 */
export async function handleOtlpRequest(
  store: TraceStore,
  request: Request,
): Promise<Response | null> {
  const url = new URL(request.url)
  if (url.pathname === '/v1/traces') {
    if (request.method !== 'POST')
      return problemResponse({
        status: 405,
        code: 'method_not_allowed',
        detail: 'POST OTLP/JSON here',
      })
    if (!(request.headers.get('content-type') ?? '').includes('json'))
      return problemResponse({
        status: 415,
        code: 'unsupported_media_type',
        detail: 'This receiver takes OTLP/JSON (set OTEL_EXPORTER_OTLP_PROTOCOL=http/json)',
      })
    const body = (await request.json().catch(() => null)) as OtlpRequest | null
    if (!body || typeof body !== 'object')
      return problemResponse({ status: 400, code: 'bad_request', detail: 'not OTLP/JSON' })
    try {
      store.ingest(body)
    } catch {
      return problemResponse({ status: 400, code: 'bad_request', detail: 'not OTLP/JSON spans' })
    }
    return Response.json({})
  }
  if (request.method !== 'GET') return null
  const one = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url.pathname)
  if (one) return Response.json(store.trace(one[1]!))
  if (url.pathname === '/api/traces')
    return Response.json(store.traces(traceQueryOf(url.searchParams)))
  return null
}

/**
 * A receiver on a port of its own (tests and benchmarks; `harness up` mounts the
 * same API on the dashboard's port).
 * @param maxSpans spans kept; the oldest traces are dropped past it. Default 50,000.
 * @example const receiver = startOtlpReceiver({ port: 4318 }); env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
 */
export function startOtlpReceiver(
  o: { port?: number; host?: string; maxSpans?: number } = {},
): OtlpReceiver {
  const store = createTraceStore(o.maxSpans)
  const server = Bun.serve({
    hostname: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    maxRequestBodySize: 16 * 1024 * 1024,
    async fetch(request) {
      const answer = await handleOtlpRequest(store, request)
      if (answer) return answer
      const url = new URL(request.url)
      return problemResponse({
        status: 404,
        code: 'not_found',
        detail: `No ${request.method} ${url.pathname}`,
      })
    },
  })
  return {
    ...store,
    url: `http://${o.host ?? '127.0.0.1'}:${server.port}`,
    port: server.port!,
    stop: async () => void (await server.stop(true)),
  }
}
