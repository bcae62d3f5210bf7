/**
 * The gateway's route table as a typed document: which path prefixes go to which
 * Consul service, whether a token is needed, and each route's timeout, retry,
 * rate-limit and body-size policy. Validated once at start.
 */
import { type Static, Type as t } from '@sinclair/typebox'

/** How a route treats access tokens. */
export const RouteAuth = t.Union(
  [
    t.Literal('required', { description: 'every request needs a valid token' }),
    t.Literal('writes', { description: 'POST/PUT/PATCH/DELETE need a token; reads may carry one' }),
    t.Literal('optional', { description: 'a token is verified when present, never required' }),
    t.Literal('none', { description: 'tokens are not looked at (the header is still forwarded)' }),
  ],
  { default: 'optional' },
)
export type RouteAuth = Static<typeof RouteAuth>

export const RetryPolicy = t.Object({
  /** Extra attempts after the first, each on a different instance. */
  attempts: t.Integer({ minimum: 0, maximum: 5, default: 2 }),
  /** Backoff before retry n is random in [0, min(capMs, baseMs * 2^n)) (full jitter). */
  baseMs: t.Integer({ minimum: 0, default: 25 }),
  capMs: t.Integer({ minimum: 0, default: 250 }),
})
export type RetryPolicy = Static<typeof RetryPolicy>

export const RateLimitPolicy = t.Object({
  /** Requests allowed per window. */
  limit: t.Integer({ minimum: 1 }),
  /** Window length in ms (a sliding window). */
  windowMs: t.Integer({ minimum: 1_000 }),
  /** Who is counted: the client IP, or the verified user (IP when there is none). */
  by: t.Union([t.Literal('ip'), t.Literal('user')]),
  /** Methods counted; others pass. Default: all. */
  methods: t.Optional(t.Array(t.String({ pattern: '^[A-Z]+$' }))),
})
export type RateLimitPolicy = Static<typeof RateLimitPolicy>

export const RouteSpec = t.Object({
  /** Path prefix matched on segment boundaries (`/feed` matches `/feed/global`, not `/feedback`). */
  prefix: t.String({ pattern: '^/' }),
  /** The Consul service whose passing instances serve it. */
  service: t.String({ minLength: 1 }),
  auth: RouteAuth,
  /** Ms until the upstream's response headers; 0 for none (streams such as /feed/live). */
  timeoutMs: t.Integer({ minimum: 0, default: 5_000 }),
  retry: t.Optional(RetryPolicy),
  /** Name of a policy in `rateLimits`. */
  rateLimit: t.Optional(t.String()),
  /** Largest request body in bytes (413 above it). */
  maxBodyBytes: t.Integer({ minimum: 0, default: 1024 * 1024 }),
  /**
   * Upgrade requests (`Upgrade: websocket`) are proxied as WebSockets (see
   * proxy/websocket-proxy.ts); the token may then come as `access_token` in the query.
   */
  websocket: t.Boolean({ default: false }),
})
export type RouteSpec = Static<typeof RouteSpec>

export const GatewayRoutes = t.Object({
  routes: t.Array(RouteSpec, { minItems: 1 }),
  rateLimits: t.Record(t.String(), RateLimitPolicy, { default: {} }),
  /** Origins allowed by CORS; `*` for any. Default none. */
  corsOrigins: t.Array(t.String(), { default: [] }),
})
export type GatewayRoutes = Static<typeof GatewayRoutes>

/** Input form: everything with a default may be left out. */
export type GatewayRoutesInput = {
  routes: (Partial<RouteSpec> & Pick<RouteSpec, 'prefix' | 'service'>)[]
  rateLimits?: Record<string, RateLimitPolicy>
  corsOrigins?: string[]
}

/**
 * Identity function that gives a routes file its type.
 * @example export default defineRoutes({ routes: [{ prefix: '/auth', service: 'auth' }] })
 */
export function defineRoutes(routes: GatewayRoutesInput): GatewayRoutesInput {
  return routes
}
