/**
 * Rate limiting behind one interface, and the response headers that describe it:
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (delta seconds, IETF
 * draft-ietf-httpapi-ratelimit-headers) and `Retry-After` on 429 (RFC 9110 §10.2.3).
 */
import type { RateLimitPolicy } from '../routes/model.ts'

export interface RateLimitDecision {
  success: boolean
  limit: number
  remaining: number
  /** Epoch ms when the window has room again. */
  resetAt: number
}

export interface RateLimiter {
  /** Counts one request for `key` under `policy` and says whether it may pass. */
  limit(key: string, policy: RateLimitPolicy & { name: string }): Promise<RateLimitDecision>
  readonly kind: string
}

/** The headers for a decision, at time `now` (ms). */
export function rateLimitHeaders(d: RateLimitDecision, now: number): Record<string, string> {
  const reset = Math.max(0, Math.ceil((d.resetAt - now) / 1_000))
  const headers: Record<string, string> = {
    'ratelimit-limit': String(d.limit),
    'ratelimit-remaining': String(Math.max(0, d.remaining)),
    'ratelimit-reset': String(reset),
  }
  if (!d.success) headers['retry-after'] = String(Math.max(1, reset))
  return headers
}
