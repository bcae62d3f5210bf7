/**
 * A per-account login throttle beside the gateway's per-address limit, so
 * guesses spread over many addresses still stop: after `maxFailures` failed
 * logins for one account within `windowMs`, that account's logins are refused
 * with 429 and Retry-After until the window ends; a successful login resets it.
 * Checked before the password hash is verified, so refused guesses cost nothing.
 * Source: OWASP Authentication Cheat Sheet, "Login Throttling" / account lockout.
 *
 * Accounts are keyed by a SHA-256 of the lower-cased email, so no address is
 * stored in the throttle. Two adapters: in process (one instance) and Redis
 * (every auth instance sees the same counts).
 */
import { createHash } from 'node:crypto'

export interface LoginThrottlePolicy {
  /** Failed logins allowed per account per window. Default 5. */
  maxFailures: number
  /** The window, ms. Default 15 minutes. */
  windowMs: number
}

export const defaultLoginThrottlePolicy: LoginThrottlePolicy = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
}

export interface LoginThrottle {
  kind: 'memory' | 'redis'
  /** Ms until `account` may try again; 0 when it may now. */
  blockedForMs(account: string): Promise<number>
  /** Counts a failed login for `account`. */
  failed(account: string): Promise<void>
  /** A successful login: forget the account's failures. */
  succeeded(account: string): Promise<void>
  close(): Promise<void>
}

/** The throttle key of an email: a hash, never the address itself. */
export function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url')
}
