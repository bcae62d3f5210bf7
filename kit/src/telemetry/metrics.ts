/**
 * Prometheus metrics for one service (prom-client), served on `/metrics` in the
 * text exposition format. Names follow the OpenTelemetry semantic conventions
 * where one exists, in Prometheus form (`http.server.request.duration` in
 * seconds is `http_server_request_duration_seconds`).
 * Sources: prometheus.io/docs/instrumenting/exposition_formats,
 * opentelemetry.io/docs/specs/semconv/http/http-metrics.
 */
import type {
  Counter as CounterType,
  Gauge as GaugeType,
  Histogram as HistogramType,
  Registry as RegistryType,
} from 'prom-client'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from './prom-client-files.ts'

/** Seconds: from 1 ms to 10 s, the range requests and event hops live in. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** Methods kept as label values; any other is `_OTHER` (OTel HTTP semantic conventions), so a client cannot mint series. */
const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'CONNECT',
  'TRACE',
])

/** The `http_request_method` label for a request method. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER'
}

export interface Metrics {
  registry: RegistryType
  /**
   * The text exposition of every metric, for `/metrics`. The process metrics
   * (CPU, memory, event-loop lag, GC) start being collected at the first call:
   * setting them up cost about 10 ms of a production build's start-up, and nothing
   * reads them before the first scrape.
   */
  exposition(): Promise<string>
  /** `http_server_request_duration_seconds{http_request_method, http_route, http_response_status_code}`. */
  httpDuration: HistogramType<'http_request_method' | 'http_route' | 'http_response_status_code'>
  /** A counter, made once per name (later calls return the same one). */
  counter<L extends string>(name: string, help: string, labels: readonly L[]): CounterType<L>
  /** A gauge; `collect` runs on every scrape to set its values. */
  gauge<L extends string>(
    name: string,
    help: string,
    labels: readonly L[],
    collect?: (gauge: GaugeType<L>) => void | Promise<void>,
  ): GaugeType<L>
  histogram<L extends string>(
    name: string,
    help: string,
    labels: readonly L[],
    buckets?: number[],
  ): HistogramType<L>
}

/**
 * A registry of its own (so tests and several apps in one process do not share
 * one), with the process metrics (from the first exposition on) and `service` as
 * a default label.
 * @example const metrics = createMetrics('feed'); metrics.counter('feed_events_total', '...', ['type']).inc({ type })
 */
export function createMetrics(service: string): Metrics {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  let processMetrics = false
  const made = new Map<string, unknown>()
  const once = <T>(name: string, make: () => T): T => {
    if (!made.has(name)) made.set(name, make())
    return made.get(name) as T
  }
  const metrics: Metrics = {
    registry,
    exposition() {
      if (!processMetrics) {
        processMetrics = true
        collectDefaultMetrics({ register: registry })
      }
      return registry.metrics()
    },
    httpDuration: undefined as never,
    counter: (name, help, labels) =>
      once(name, () => new Counter({ name, help, labelNames: labels, registers: [registry] })),
    gauge: (name, help, labels, collect) =>
      once(
        name,
        () =>
          new Gauge({
            name,
            help,
            labelNames: labels,
            registers: [registry],
            ...(collect
              ? {
                  collect(this: GaugeType) {
                    return collect(this as never)
                  },
                }
              : {}),
          }),
      ),
    histogram: (name, help, labels, buckets = LATENCY_BUCKETS) =>
      once(
        name,
        () => new Histogram({ name, help, labelNames: labels, buckets, registers: [registry] }),
      ),
  }
  metrics.httpDuration = metrics.histogram(
    'http_server_request_duration_seconds',
    'Duration of HTTP server requests, by method, route and status',
    ['http_request_method', 'http_route', 'http_response_status_code'] as const,
  )
  return metrics
}
