/**
 * What the gateway adds to its `/metrics`: proxied requests by route and status
 * (the same `http_server_request_duration_seconds` every service serves),
 * upstream results, retries and retry-budget refusals, rate-limit refusals, and
 * each upstream instance's ejection and breaker state and each service's panic
 * mode, read from the balancer on every scrape.
 */
import { type Metrics, methodLabel } from '@civildiy/kit'
import type { InstanceDirectory } from './discovery/instance-directory.ts'
import type { ForwardResult } from './proxy/forward.ts'
import type { RetryBudget } from './proxy/retry-budget.ts'
import type { Route } from './routes/route-table.ts'
import type { Balancer, BalancerEvent } from './upstream/balancer.ts'

export interface GatewayMetrics {
  /** One proxied request: its route, status, seconds and what the forwarder reported. */
  proxied(
    method: string,
    route: Route,
    status: number,
    seconds: number,
    result?: ForwardResult,
  ): void
  rateLimited(route: Route): void
  /** The budget, counting its refusals. */
  budget(budget: RetryBudget): RetryBudget
}

/** @example const gm = gatewayMetrics(metrics, directory, balancer) */
export function gatewayMetrics(
  metrics: Metrics,
  directory: InstanceDirectory,
  balancer: Balancer,
): GatewayMetrics {
  const results = metrics.counter(
    'gateway_upstream_requests_total',
    'Proxied requests by route, service and result (ok, or why the gateway answered itself)',
    ['http_route', 'service', 'result'] as const,
  )
  const retries = metrics.counter('gateway_retries_total', 'Extra attempts on another instance', [
    'service',
  ] as const)
  const refusals = metrics.counter(
    'gateway_retry_budget_refusals_total',
    'Retries the retry budget refused',
    [] as const,
  )
  const limited = metrics.counter('gateway_rate_limited_total', 'Requests refused with 429', [
    'http_route',
  ] as const)
  const perInstance = (
    name: string,
    help: string,
    value: (h: ReturnType<Balancer['health']>) => number,
  ) =>
    metrics.gauge(name, help, ['service', 'instance'] as const, (g) => {
      g.reset()
      for (const service of Object.keys(directory.status().services))
        for (const i of directory.instances(service))
          g.set({ service, instance: i.id }, value(balancer.health(i)))
    })
  perInstance('gateway_upstream_ejected', '1 while outlier detection has the instance out', (h) =>
    h.ejected ? 1 : 0,
  )
  perInstance('gateway_upstream_breaker_open', '1 while the instance’s breaker is open', (h) =>
    h.breaker === 'open' ? 1 : 0,
  )
  metrics.gauge(
    'gateway_service_panic',
    '1 while the service is in panic mode',
    ['service'] as const,
    (g) => {
      g.reset()
      for (const service of Object.keys(directory.status().services))
        g.set({ service }, balancer.inPanic(service) ? 1 : 0)
    },
  )
  return {
    proxied(method, route, status, seconds, result) {
      metrics.httpDuration.observe(
        {
          http_request_method: methodLabel(method),
          http_route: route.prefix,
          http_response_status_code: String(status),
        },
        seconds,
      )
      if (!result) return
      results.inc({
        http_route: route.prefix,
        service: route.service,
        result: result.failure ?? 'ok',
      })
      if (result.tried.length > 1) retries.inc({ service: route.service }, result.tried.length - 1)
    },
    rateLimited: (route) => limited.inc({ http_route: route.prefix }),
    budget: (b) => ({
      request: () => b.request(),
      tryRetry() {
        const ok = b.tryRetry()
        if (!ok) refusals.inc()
        return ok
      },
    }),
  }
}

/**
 * Counts every balancer state change by service and kind, beside its warn line.
 * @example createBalancer('round-robin', { onEvent: countHealthEvents(metrics, log) })
 */
export function countHealthEvents(
  metrics: Metrics,
  then: (e: BalancerEvent) => void,
): (e: BalancerEvent) => void {
  const events = metrics.counter(
    'gateway_upstream_health_events_total',
    'Ejections, re-admissions, breaker changes and panic entries and exits',
    ['service', 'event'] as const,
  )
  return (e) => {
    events.inc({ service: e.service, event: e.event })
    then(e)
  }
}
