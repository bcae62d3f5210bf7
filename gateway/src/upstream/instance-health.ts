/**
 * Passive health of one upstream instance, learned from real traffic, as Envoy's
 * outlier detection and circuit breaking do it
 * (envoyproxy.io/docs: "Outlier detection", "Circuit breaking"):
 * - only outcomes the upstream caused count (see {@link Outcome}); what a client
 *   caused (a slow or aborted body, a body over the limit) is `neutral`;
 * - outlier ejection: after `consecutiveFailures` failures in a row the instance
 *   is taken out of rotation for `ejectionMs` × (times ejected, capped at 10), then
 *   re-admitted; the balancer may veto an ejection (max ejection percent);
 * - a circuit breaker: when at least `breakerMinRequests` of the last
 *   `breakerWindow` outcomes are known and `breakerFailureRatio` of them failed, it
 *   opens for `breakerOpenMs`; then it half-opens and lets one probe through: a
 *   success closes it, a failure opens it again.
 * Every change of state is returned as a {@link HealthTransition}, for the log.
 */

export interface HealthSettings {
  consecutiveFailures: number
  ejectionMs: number
  breakerWindow: number
  breakerMinRequests: number
  breakerFailureRatio: number
  breakerOpenMs: number
  /** At most this share of a service's instances is ejected at once (never the last one). */
  maxEjectionPercent: number
  /** Below this share of available instances, route to all of them (panic mode). */
  panicThresholdPercent: number
}

export const defaultHealthSettings: HealthSettings = {
  consecutiveFailures: 5,
  ejectionMs: 10_000,
  breakerWindow: 20,
  breakerMinRequests: 10,
  breakerFailureRatio: 0.5,
  breakerOpenMs: 5_000,
  maxEjectionPercent: 50,
  panicThresholdPercent: 50,
}

/**
 * How an attempt ended, as far as the upstream is concerned:
 * - `success`: it answered below 500 (or shed load on purpose: 503 with Retry-After);
 * - `failure`: connection refused or reset, a 500/502/503/504 it produced, or no
 *   response headers in time although the whole request had been sent;
 * - `neutral`: the client caused it or it says nothing about the upstream.
 */
export type Outcome =
  | { kind: 'success' }
  | { kind: 'neutral' }
  | { kind: 'failure'; reason: 'connect_failure' | 'upstream_5xx' | 'timeout' }

export type BreakerState = 'closed' | 'open' | 'half-open'

/** A change of an instance's state, logged at warn by the gateway. */
export type HealthTransition =
  | { event: 'ejected'; reason: string; ejectedForMs: number }
  | { event: 'ejection_vetoed'; reason: string }
  | { event: 'readmitted' }
  | { event: 'breaker_open'; reason: string }
  | { event: 'breaker_half_open' }
  | { event: 'breaker_closed' }

/** What `/gateway/routes` shows about an instance. */
export interface InstanceHealthSnapshot {
  outstanding: number
  ejected: boolean
  ejectedForMs: number
  consecutiveFailures: number
  breaker: BreakerState
  /** Why it was last ejected or its breaker last opened. */
  lastFailureReason?: string
}

const NO_TRANSITIONS: readonly HealthTransition[] = Object.freeze([])

export class InstanceHealth {
  /** Requests sent and not yet answered (headers), for least-outstanding balancing. */
  outstanding = 0
  private consecutive = 0
  private ejectedUntil = 0
  private ejectedNow = false
  private ejections = 0
  private outcomes: boolean[] = []
  private breaker: BreakerState = 'closed'
  private openedAt = 0
  private probing = false
  private lastReason: string | undefined

  constructor(private readonly s: HealthSettings) {}

  /** Whether a request may be sent now (not ejected; breaker closed or ready for a probe). */
  available(now: number): boolean {
    if (now < this.ejectedUntil) return false
    if (this.breaker === 'closed') return true
    if (this.breaker === 'open') return now - this.openedAt >= this.s.breakerOpenMs
    return !this.probing
  }

  /** Whether the instance counts as ejected now (for the max ejection percent). */
  isEjected(now: number): boolean {
    return now < this.ejectedUntil
  }

  /** Re-admission once the ejection time has passed; reported once. */
  expire(now: number): HealthTransition | undefined {
    if (this.ejectedNow && now >= this.ejectedUntil) {
      this.ejectedNow = false
      return { event: 'readmitted' }
    }
    return undefined
  }

  /** The balancer chose this instance: an open breaker past its time becomes half-open and this is its probe. */
  picked(now: number): HealthTransition | undefined {
    this.outstanding++
    if (this.breaker === 'open' && now - this.openedAt >= this.s.breakerOpenMs) {
      this.breaker = 'half-open'
      this.probing = true
      return { event: 'breaker_half_open' }
    }
    if (this.breaker === 'half-open') this.probing = true
    return undefined
  }

  /**
   * The outcome of a request sent to this instance. `mayEject` is asked only when
   * this failure would eject it.
   */
  settled(outcome: Outcome, now: number, mayEject: () => boolean): readonly HealthTransition[] {
    this.outstanding = Math.max(0, this.outstanding - 1)
    if (outcome.kind === 'neutral') {
      // A probe that said nothing leaves the breaker half-open for the next one.
      if (this.breaker === 'half-open') this.probing = false
      return NO_TRANSITIONS
    }
    const ok = outcome.kind === 'success'
    const breaker = this.breakerSettled(ok, now)
    if (ok) {
      this.consecutive = 0
      // The common case allocates nothing.
      return breaker ? [breaker] : NO_TRANSITIONS
    }
    const out: HealthTransition[] = breaker ? [breaker] : []
    this.lastReason = outcome.reason
    if (++this.consecutive < this.s.consecutiveFailures) return out
    this.consecutive = 0
    if (!mayEject()) {
      out.push({ event: 'ejection_vetoed', reason: outcome.reason })
      return out
    }
    this.ejections = Math.min(this.ejections + 1, 10)
    const ejectedForMs = this.s.ejectionMs * this.ejections
    this.ejectedUntil = now + ejectedForMs
    this.ejectedNow = true
    out.push({ event: 'ejected', reason: outcome.reason, ejectedForMs })
    return out
  }

  private breakerSettled(ok: boolean, now: number): HealthTransition | undefined {
    if (this.breaker === 'half-open' && this.probing) {
      this.probing = false
      if (ok) {
        this.breaker = 'closed'
        this.outcomes = []
        return { event: 'breaker_closed' }
      }
      this.breaker = 'open'
      this.openedAt = now
      return { event: 'breaker_open', reason: 'half-open probe failed' }
    }
    if (this.breaker !== 'closed') return undefined
    this.outcomes.push(ok)
    if (this.outcomes.length > this.s.breakerWindow) this.outcomes.shift()
    const failures = this.outcomes.reduce((n, o) => n + (o ? 0 : 1), 0)
    if (
      this.outcomes.length >= this.s.breakerMinRequests &&
      failures / this.outcomes.length >= this.s.breakerFailureRatio
    ) {
      this.breaker = 'open'
      this.openedAt = now
      return {
        event: 'breaker_open',
        reason: `${failures} of the last ${this.outcomes.length} requests failed`,
      }
    }
    return undefined
  }

  snapshot(now: number): InstanceHealthSnapshot {
    let breaker = this.breaker
    if (breaker === 'open' && now - this.openedAt >= this.s.breakerOpenMs) breaker = 'half-open'
    return {
      outstanding: this.outstanding,
      ejected: now < this.ejectedUntil,
      ejectedForMs: Math.max(0, this.ejectedUntil - now),
      consecutiveFailures: this.consecutive,
      breaker,
      ...(this.lastReason ? { lastFailureReason: this.lastReason } : {}),
    }
  }
}
