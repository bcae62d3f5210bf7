/**
 * Chooses the instance for a request among a service's passing instances, skipping
 * those ejected or behind an open breaker and those already tried by this request.
 * Round robin by default; `least-outstanding` samples two instances at random and
 * takes the one with fewer requests in flight (power of two choices: Mitzenmacher,
 * "The Power of Two Choices in Randomized Load Balancing", 2001).
 *
 * Resilience that clients cannot turn against the service (Envoy's outlier
 * detection): at most `maxEjectionPercent` of a service's instances are ejected at
 * once and never the last one; and when fewer than `panicThresholdPercent` of them
 * are available (breakers open), the service is in panic mode and every passing
 * instance takes traffic again, since sending to a possibly unhealthy instance
 * beats answering 503 to everyone.
 */
import type { Instance } from '../discovery/instance-directory.ts'
import {
  defaultHealthSettings,
  type HealthSettings,
  type HealthTransition,
  InstanceHealth,
  type InstanceHealthSnapshot,
  type Outcome,
} from './instance-health.ts'

export type BalancingStrategy = 'round-robin' | 'least-outstanding'

/** A state change worth a warn line: an instance's, or a service's panic mode. */
export type BalancerEvent = { service: string; route?: string } & (
  | (HealthTransition & { instance: string })
  | { event: 'panic_entered'; available: number; instances: number }
  | { event: 'panic_exited'; available: number; instances: number }
)

export interface Balancer {
  /** An available instance not in `tried`, marked as picked; undefined when none. */
  pick(
    instances: readonly Instance[],
    tried: ReadonlySet<string>,
    route?: string,
  ): Instance | undefined
  /** Report how a request to a picked instance ended (see {@link Outcome}). */
  settle(instance: Instance, outcome: Outcome, route?: string): void
  health(instance: Instance): InstanceHealthSnapshot
  /** Whether the service is in panic mode (routing to every passing instance). */
  inPanic(service: string): boolean
  /** Forget instances no longer registered. */
  retain(ids: ReadonlySet<string>, service: string): void
}

export interface BalancerOptions {
  settings?: Partial<HealthSettings>
  clock?: () => number
  /** Every ejection, re-admission, breaker change and panic entry or exit. */
  onEvent?: (event: BalancerEvent) => void
}

/**
 * @example
 * const balancer = createBalancer('least-outstanding', { onEvent: (e) => logger.warn(e, e.event) })
 * const instance = balancer.pick(directory.instances('feed'), new Set())
 */
export function createBalancer(
  strategy: BalancingStrategy = 'round-robin',
  o: BalancerOptions = {},
): Balancer {
  const s = { ...defaultHealthSettings, ...o.settings }
  const clock = o.clock ?? Date.now
  const emit = o.onEvent ?? (() => {})
  const health = new Map<string, Map<string, InstanceHealth>>()
  const sizes = new Map<string, number>()
  const panicking = new Set<string>()
  const cursors = new Map<string, number>()
  const byService = (service: string) => {
    let byId = health.get(service)
    if (!byId) {
      byId = new Map()
      health.set(service, byId)
    }
    return byId
  }
  const stateOf = (i: Instance) => {
    const byId = byService(i.service)
    let h = byId.get(i.id)
    if (!h) {
      h = new InstanceHealth(s)
      byId.set(i.id, h)
    }
    return h
  }
  const report = (i: Instance, route: string | undefined, t: HealthTransition | undefined) => {
    if (t) emit({ ...t, service: i.service, instance: i.id, route })
  }
  // One veto function per service, made once: settle() runs on every request.
  const vetoes = new Map<string, () => boolean>()
  const mayEject = (service: string) => {
    let veto = vetoes.get(service)
    if (!veto) {
      veto = () => {
        const now = clock()
        const total = sizes.get(service) ?? 1
        let ejected = 0
        for (const h of byService(service).values()) if (h.isEjected(now)) ejected++
        return ejected + 1 < total && (ejected + 1) * 100 <= s.maxEjectionPercent * total
      }
      vetoes.set(service, veto)
    }
    return veto
  }
  const setPanic = (service: string, on: boolean, available: number, n: number, route?: string) => {
    if (on === panicking.has(service)) return
    if (on) panicking.add(service)
    else panicking.delete(service)
    emit({ event: on ? 'panic_entered' : 'panic_exited', service, route, available, instances: n })
  }
  return {
    pick(instances, tried, route) {
      if (instances.length === 0) return undefined
      const now = clock()
      const service = instances[0]!.service
      sizes.set(service, instances.length)
      let available = 0
      const candidates: Instance[] = []
      for (const i of instances) {
        const h = stateOf(i)
        report(i, route, h.expire(now))
        if (!h.available(now)) continue
        available++
        if (!tried.has(i.id)) candidates.push(i)
      }
      const panic = available * 100 < s.panicThresholdPercent * instances.length
      setPanic(service, panic, available, instances.length, route)
      const pool = panic ? instances.filter((i) => !tried.has(i.id)) : candidates
      if (pool.length === 0) return undefined
      let chosen: Instance
      if (strategy === 'least-outstanding' && pool.length > 1) {
        const a = pool[Math.floor(Math.random() * pool.length)]!
        let b = pool[Math.floor(Math.random() * (pool.length - 1))]!
        if (b === a) b = pool[pool.length - 1]!
        chosen = stateOf(a).outstanding <= stateOf(b).outstanding ? a : b
      } else {
        const n = cursors.get(service) ?? 0
        cursors.set(service, (n + 1) % 1_000_000_007)
        chosen = pool[n % pool.length]!
      }
      report(chosen, route, stateOf(chosen).picked(now))
      return chosen
    },
    settle(instance, outcome, route) {
      const now = clock()
      const transitions = stateOf(instance).settled(outcome, now, mayEject(instance.service))
      for (const t of transitions) report(instance, route, t)
    },
    health: (instance) => stateOf(instance).snapshot(clock()),
    inPanic: (service) => panicking.has(service),
    retain(ids, service) {
      const byId = health.get(service)
      for (const id of byId?.keys() ?? []) if (!ids.has(id)) byId!.delete(id)
    },
  }
}
