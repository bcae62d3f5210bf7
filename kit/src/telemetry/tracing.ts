/**
 * Distributed tracing with the OpenTelemetry SDK: spans exported over OTLP/HTTP
 * (`http/protobuf` or `http/json`), W3C Trace Context (`traceparent`,
 * `tracestate`) across every hop, a parent-based ratio sampler. Configured with
 * the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL,
 * OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG,
 * OTEL_SDK_DISABLED); with no endpoint, tracing is off and costs nothing. The
 * default samples 10% of new traces (parent-based: a trace started upstream keeps
 * its decision), not OpenTelemetry's always_on, to stay within the cost budget.
 * Sources: opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables,
 * w3.org/TR/trace-context.
 */
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import { pathOfUrl } from '../request-path.ts'

export interface TracingSettings {
  OTEL_SDK_DISABLED?: boolean
  OTEL_EXPORTER_OTLP_ENDPOINT?: string
  OTEL_EXPORTER_OTLP_PROTOCOL?: 'http/protobuf' | 'http/json'
  OTEL_SERVICE_NAME?: string
  OTEL_TRACES_SAMPLER?: string
  OTEL_TRACES_SAMPLER_ARG?: number
}

export interface Tracing {
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>
}

/** The tracer every CivilDIY span comes from (a no-op until tracing starts). */
export const tracer = () => trace.getTracer('civildiy')

/** Whether spans are being recorded and exported in this process. */
let enabled = false
export const tracingEnabled = () => enabled

/**
 * Starts tracing for `service` when an OTLP endpoint is configured; else null.
 * The SDK and its exporters (about 80 ms of module loading) are imported only
 * then, so a service with tracing off does not pay for them at start-up.
 * @example const tracing = await startTracing('posts', config)
 */
export async function startTracing(service: string, s: TracingSettings): Promise<Tracing | null> {
  if (s.OTEL_SDK_DISABLED || !s.OTEL_EXPORTER_OTLP_ENDPOINT) return null
  const { startSdk } = await import('./tracing-sdk.ts')
  const tracing = startSdk(service, s as TracingSettings & { OTEL_EXPORTER_OTLP_ENDPOINT: string })
  enabled = true
  return tracing
}

/** The context a carrier (request headers, Kafka headers, a stored map) names, or the root. */
export function contextFrom(carrier: Record<string, string | undefined> | Headers): Context {
  if (!enabled) return ROOT_CONTEXT
  const get = (k: string) => (carrier instanceof Headers ? carrier.get(k) : carrier[k]) ?? undefined
  return propagation.extract(ROOT_CONTEXT, carrier, {
    get: (_c, k) => get(k),
    keys: () => ['traceparent', 'tracestate'],
  })
}

/** `traceparent` (and `tracestate`) of `ctx`, default the active context; empty when off. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const out: Record<string, string> = {}
  if (enabled) propagation.inject(ctx, out)
  return out
}

/** Whether a span is active here: tracing is on and this runs inside a traced request or event. */
export function inTrace(): boolean {
  return enabled && trace.getActiveSpan() !== undefined
}

/**
 * Runs `work` inside a new span (child of `parent`, default the active context),
 * recording an exception and error status when it throws. A CLIENT span needs a
 * parent: a database call that no request or event caused (a poll, a timer) runs
 * without a span instead of starting a one-span trace of its own, as
 * OpenTelemetry's instrumentations do with `requireParentSpan`.
 * @example await inSpan('publish civildiy.posts', SpanKind.PRODUCER, { 'messaging.system': 'kafka' }, () => send())
 */
export async function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Record<string, string | number | boolean>,
  work: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  if (!enabled || (kind === SpanKind.CLIENT && !trace.getSpan(parent)))
    return work(trace.wrapSpanContext({ traceId: '', spanId: '', traceFlags: 0 }))
  return tracer().startActiveSpan(name, { kind, attributes }, parent, async (span) => {
    try {
      return await work(span)
    } catch (err) {
      span.recordException(err as Error)
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message })
      throw err
    } finally {
      span.end()
    }
  })
}

/** Probes and scrapes: frequent, and no one's request. Not traced. */
const UNTRACED = /^\/(health\/|metrics$)/

/**
 * Serves `request` inside a SERVER span continuing the caller's `traceparent`
 * (W3C Trace Context), with the HTTP semantic-convention attributes.
 */
export function serverSpan(
  request: Request,
  handle: () => Response | Promise<Response>,
): Response | Promise<Response> {
  if (!enabled) return handle()
  const path = pathOfUrl(request.url)
  if (UNTRACED.test(path)) return handle()
  return inSpan(
    request.method,
    SpanKind.SERVER,
    { 'http.request.method': request.method, 'url.path': path },
    async (span) => {
      const response = await handle()
      span.setAttribute('http.response.status_code', response.status)
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      return response
    },
    contextFrom(request.headers),
  )
}

/** Names the active server span after its route template (`GET /posts/:id`). */
export function nameServerSpan(method: string, route: string): void {
  const span = enabled ? trace.getActiveSpan() : undefined
  span?.updateName(`${method} ${route}`)
  span?.setAttribute('http.route', route)
}

/**
 * Runs an outgoing call inside a CLIENT span, writing that span's `traceparent`
 * into `headers` first, so the callee continues the trace.
 * @example const res = await clientSpan('GET', { 'server.address': host }, headers, () => fetch(url, { headers }))
 */
export function clientSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  headers: Record<string, string>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!enabled) return work(trace.wrapSpanContext({ traceId: '', spanId: '', traceFlags: 0 }))
  return inSpan(name, SpanKind.CLIENT, attributes, (span) => {
    Object.assign(headers, traceHeaders())
    return work(span)
  })
}

export { SpanKind }
