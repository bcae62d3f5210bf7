/**
 * Passive health of one upstream instance, learned from real traffic:
 * - outlier ejection: after `consecutiveFailures` connection failures or 5xx in a
 *   row the instance is taken out of rotation for `ejectionMs` × (times ejected,
 *   capped at 10), then re-admitted (Envoy's outlier detection);
 * - a circuit breaker: when at least `breakerMinRequests` of the last
 *   `breakerWindow` outcomes are known and `breakerFailureRatio` of them failed, it
 *   opens for `breakerOpenMs`; then it half-opens and lets one probe through: a
 *   success closes it, a failure opens it again.
 */

export interface HealthSettings {
  consecutiveFailures: number
  ejectionMs: number
  breakerWindow: number
  breakerMinRequests: number
  breakerFailureRatio: number
  breakerOpenMs: number
}

export const defaultHealthSettings: HealthSettings = {
  consecutiveFailures: 5,
  ejectionMs: 10_000,
  breakerWindow: 20,
  breakerMinRequests: 10,
  breakerFailureRatio: 0.5,
  breakerOpenMs: 5_000,
}

export type BreakerState = 'closed' | 'open' | 'half-open'

/** What `/gateway/routes` shows about an instance. */
export interface InstanceHealthSnapshot {
  outstanding: number
  ejected: boolean
  ejectedForMs: number
  consecutiveFailures: number
  breaker: BreakerState
}

export class InstanceHealth {
  /** Requests sent and not yet answered (headers), for least-outstanding balancing. */
  outstanding = 0
  private consecutive = 0
  private ejectedUntil = 0
  private ejections = 0
  private outcomes: boolean[] = []
  private breaker: BreakerState = 'closed'
  private openedAt = 0
  private probing = false

  constructor(private readonly s: HealthSettings) {}

  /** Whether a request may be sent now (not ejected; breaker closed or ready for a probe). */
  available(now: number): boolean {
    if (now < this.ejectedUntil) return false
    if (this.breaker === 'closed') return true
    if (this.breaker === 'open') return now - this.openedAt >= this.s.breakerOpenMs
    return !this.probing
  }

  /** The balancer chose this instance: an open breaker past its time becomes half-open and this is its probe. */
  picked(now: number): void {
    this.outstanding++
    if (this.breaker === 'open' && now - this.openedAt >= this.s.breakerOpenMs) {
      this.breaker = 'half-open'
      this.probing = true
    } else if (this.breaker === 'half-open') {
      this.probing = true
    }
  }

  /** The outcome of a request sent to this instance. */
  settled(ok: boolean, now: number): void {
    this.outstanding = Math.max(0, this.outstanding - 1)
    if (this.breaker === 'half-open' && this.probing) {
      this.probing = false
      if (ok) {
        this.breaker = 'closed'
        this.outcomes = []
      } else {
        this.breaker = 'open'
        this.openedAt = now
      }
    } else if (this.breaker === 'closed') {
      this.outcomes.push(ok)
      if (this.outcomes.length > this.s.breakerWindow) this.outcomes.shift()
      const failures = this.outcomes.reduce((n, o) => n + (o ? 0 : 1), 0)
      if (
        this.outcomes.length >= this.s.breakerMinRequests &&
        failures / this.outcomes.length >= this.s.breakerFailureRatio
      ) {
        this.breaker = 'open'
        this.openedAt = now
      }
    }
    if (ok) {
      this.consecutive = 0
      return
    }
    if (++this.consecutive >= this.s.consecutiveFailures) {
      this.ejections = Math.min(this.ejections + 1, 10)
      this.ejectedUntil = now + this.s.ejectionMs * this.ejections
      this.consecutive = 0
    }
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
    }
  }
}
