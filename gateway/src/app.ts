/**
 * The gateway: an Elysia app for its own endpoints (`/gateway/health`,
 * `/gateway/routes`, `/health/*`, `/openapi`) in front of which `handle()` proxies
 * every path the route table knows. Proxied requests skip Elysia's router on
 * purpose: the hot path is route match → CORS → token → rate limit → forward.
 */
import {
  type AppEnvironment,
  AppError,
  baseApp,
  bearerToken,
  createMetrics,
  currentClientAddress,
  ForbiddenError,
  isWebSocketUpgrade,
  type JwtVerifier,
  nameServerSpan,
  problemResponse,
  requestIdOf,
  UnauthorizedError,
} from '@civildiy/kit'
import type { DenyList } from './deny-list/deny-list.ts'
import type { InstanceDirectory } from './discovery/instance-directory.ts'
import { gatewayMetrics } from './gateway-metrics.ts'
import { gatewayApiDocs } from './openapi/gateway-api-docs.ts'
import { forward } from './proxy/forward.ts'
import { parseRequestTarget, type RequestTarget } from './proxy/request-target.ts'
import type { RetryBudget } from './proxy/retry-budget.ts'
import type { UpstreamTls } from './proxy/upstream-tls.ts'
import { proxyWebSocket, webSocketToken } from './proxy/websocket-proxy.ts'
import { type RateLimiter, rateLimitHeaders } from './rate-limit/rate-limiter.ts'
import type { Route, RouteTable } from './routes/route-table.ts'
import type { Balancer } from './upstream/balancer.ts'

export interface GatewayDeps extends AppEnvironment {
  table: RouteTable
  directory: InstanceDirectory
  balancer: Balancer
  budget: RetryBudget
  verify: JwtVerifier
  limiter: RateLimiter
  /** Bearer token for `/gateway/routes` from non-loopback clients. */
  adminToken?: string
  /** Users whose tokens are refused although valid (suspended): see deny-list/deny-list.ts. */
  denied?: DenyList
  /** TLS options for upstreams registered as HTTPS (see proxy/upstream-tls.ts). */
  upstreamTls?: () => UpstreamTls
  clock?: () => number
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/
const CORS_EXPOSED =
  'x-request-id, location, ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after'

/**
 * @example
 * const gateway = createGateway({ table, directory, balancer, budget, verify, limiter, logger, production: false })
 * Bun.serve({ fetch: (req) => gateway.handle(req) })
 */
export function createGateway(d: GatewayDeps) {
  const clock = d.clock ?? Date.now
  const logRequests = d.logger.isLevelEnabled('debug')
  const metrics = d.metrics ?? createMetrics('gateway')
  const measure = gatewayMetrics(metrics, d.directory, d.balancer)
  const forwardDeps = { ...d, budget: measure.budget(d.budget) }
  const cors = new Set(d.table.corsOrigins)
  const allowOrigin = (origin: string | null) =>
    origin && (cors.has('*') || cors.has(origin)) ? origin : null

  const isAdmin = (request: Request) => {
    const address = currentClientAddress()
    if (address && LOOPBACK.test(address)) return true
    return d.adminToken !== undefined && bearerToken(request) === d.adminToken
  }

  // The gateway is the public listener: its metrics (instances, traffic) are for operators only.
  const app = baseApp({ ...d, metrics, metricsAllowed: isAdmin, name: 'gateway' })
    .use(gatewayApiDocs(d))
    .get(
      '/gateway/health',
      ({ set }) => {
        const status = d.directory.status()
        const missing = Object.entries(status.services)
          .filter(([, s]) => s.instances === 0)
          .map(([name]) => name)
        set.headers['cache-control'] = 'no-store'
        return {
          status: d.lifecycle?.shuttingDown
            ? 'stopping'
            : !status.consul.reachable || missing.length
              ? 'degraded'
              : 'ok',
          ...(status.consul.reachable
            ? {}
            : { note: 'Consul unreachable: routing with the last known instances' }),
          ...(missing.length ? { servicesWithoutInstances: missing } : {}),
          rateLimiter: d.limiter.kind,
          ...status,
        }
      },
      {
        detail: {
          summary: 'Gateway readiness and the freshness of its view of Consul',
          tags: ['gateway'],
        },
      },
    )
    .get(
      '/gateway/routes',
      ({ request }) => {
        if (!isAdmin(request))
          throw new ForbiddenError('/gateway/routes is for loopback clients or the admin token')
        return d.table.routes.map((r) => ({
          prefix: r.prefix,
          service: r.service,
          auth: r.auth,
          timeoutMs: r.timeoutMs,
          retry: r.retryPolicy,
          rateLimit: r.rateLimitPolicy ?? null,
          maxBodyBytes: r.maxBodyBytes,
          websocket: r.websocket,
          panic: d.balancer.inPanic(r.service),
          instances: d.directory.instances(r.service).map((i) => ({
            id: i.id,
            url: i.url,
            ...d.balancer.health(i),
          })),
        }))
      },
      {
        detail: {
          summary: 'Each route and its live instances with ejection and breaker state',
          tags: ['gateway'],
        },
      },
    )

  d.directory.onChange((service, instances) =>
    d.balancer.retain(new Set(instances.map((i) => i.id)), service),
  )

  async function proxy(request: Request, route: Route, target: RequestTarget): Promise<Response> {
    nameServerSpan(request.method, route.prefix)
    const requestId = requestIdOf(request)
    const origin = allowOrigin(request.headers.get('origin'))
    if (
      request.method === 'OPTIONS' &&
      origin &&
      request.headers.has('access-control-request-method')
    ) {
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
          'access-control-allow-headers':
            request.headers.get('access-control-request-headers') ?? 'authorization, content-type',
          'access-control-max-age': '600',
          vary: 'origin',
        },
      })
    }
    const t0 = performance.now()
    let userId: string | undefined
    let limitHeaders: Record<string, string> | undefined
    let response: Response
    try {
      // A WebSocket's token may come in the query (browsers cannot set its headers).
      const socket =
        route.websocket && isWebSocketUpgrade(request) ? webSocketToken(target.pathAndQuery) : null
      let token: string | undefined
      if (route.auth !== 'none') {
        token = bearerToken(request) ?? socket?.token
        const needed =
          route.auth === 'required' || (route.auth === 'writes' && !READS.has(request.method))
        if (token) userId = (await d.verify(token)).userId
        else if (needed) throw new UnauthorizedError()
        if (userId && d.denied?.has(userId))
          // RFC 6750 §3.1: a revoked token is an invalid_token like any other.
          throw new UnauthorizedError('This account is suspended', 'invalid_token')
      }
      const clientAddress = currentClientAddress() ?? '0.0.0.0'
      const policy = route.rateLimitPolicy
      if (policy && (!policy.methods || policy.methods.includes(request.method))) {
        const key = policy.by === 'user' && userId ? `user:${userId}` : `ip:${clientAddress}`
        const decision = await d.limiter.limit(key, policy)
        limitHeaders = rateLimitHeaders(decision, clock())
        if (!decision.success) {
          measure.rateLimited(route)
          throw new AppError(
            429,
            'rate_limited',
            `Too many requests on ${route.prefix}; retry later`,
          )
        }
      }
      const forwardedFor = {
        clientAddress,
        proto: request.url.startsWith('https:') ? 'https' : 'http',
        host: request.headers.get('host') ?? '',
        requestId,
        userId,
      }
      const result = socket
        ? await proxyWebSocket(
            request,
            route,
            socket.pathAndQuery,
            forwardedFor,
            token,
            forwardDeps,
          )
        : await forward(request, route, target.pathAndQuery, forwardedFor, forwardDeps)
      response = result.response
      measure.proxied(
        request.method,
        route,
        response.status,
        (performance.now() - t0) / 1000,
        result,
      )
      // Gateway-made 5xx at warn; the rest at debug (one line per request at info was noise).
      if (result.failure && response.status >= 500) {
        d.logger.warn(
          {
            method: request.method,
            route: route.prefix,
            status: response.status,
            failure: result.failure,
            instances: result.tried,
            requestId,
          },
          'gateway answered itself',
        )
      } else if (logRequests) {
        d.logger.debug(
          {
            method: request.method,
            route: route.prefix,
            status: response.status,
            instances: result.tried,
            failure: result.failure,
            requestId,
          },
          'proxied',
        )
      }
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      measure.proxied(request.method, route, err.status, (performance.now() - t0) / 1000)
      response = problemResponse({
        status: err.status,
        code: err.code,
        detail: err.message,
        instance: target.path,
        requestId,
        headers: err.extra.headers,
      })
    }
    const headers = response.headers
    headers.set('x-request-id', requestId)
    if (origin) {
      headers.set('access-control-allow-origin', origin)
      headers.set('access-control-expose-headers', CORS_EXPOSED)
      headers.set('vary', 'origin')
    }
    if (limitHeaders) for (const name in limitHeaders) headers.set(name, limitHeaders[name]!)
    return response
  }

  return {
    app,
    /** Answers any request: proxied when a route matches, else the gateway's own endpoints. */
    handle(request: Request): Promise<Response> | Response {
      const target = parseRequestTarget(request.method, request.url)
      if ('rejected' in target) {
        return problemResponse({
          status: 400,
          code: 'bad_request_target',
          detail: target.rejected,
          requestId: requestIdOf(request),
          headers: { connection: 'close' },
        })
      }
      if (!target.path.startsWith('/gateway/')) {
        const route = d.table.match(target.path)
        if (route) return proxy(request, route, target)
      }
      return app.handle(request)
    },
  }
}
