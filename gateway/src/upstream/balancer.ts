/**
 * Chooses the instance for a request among a service's passing instances, skipping
 * those ejected or behind an open breaker and those already tried by this request.
 * Round robin by default; `least-outstanding` samples two instances at random and
 * takes the one with fewer requests in flight (power of two choices: Mitzenmacher,
 * "The Power of Two Choices in Randomized Load Balancing", 2001).
 */
import type { Instance } from '../discovery/instance-directory.ts'
import {
  defaultHealthSettings,
  type HealthSettings,
  InstanceHealth,
  type InstanceHealthSnapshot,
} from './instance-health.ts'

export type BalancingStrategy = 'round-robin' | 'least-outstanding'

export interface Balancer {
  /** An available instance not in `tried`, marked as picked; undefined when none. */
  pick(instances: readonly Instance[], tried: ReadonlySet<string>): Instance | undefined
  /** Report how a request to a picked instance ended (connection error and 5xx are failures). */
  settle(instance: Instance, ok: boolean): void
  health(instance: Instance): InstanceHealthSnapshot
  /** Forget instances no longer registered. */
  retain(ids: ReadonlySet<string>, service: string): void
}

/**
 * @example
 * const balancer = createBalancer('least-outstanding')
 * const instance = balancer.pick(directory.instances('feed'), new Set())
 */
export function createBalancer(
  strategy: BalancingStrategy = 'round-robin',
  settings: Partial<HealthSettings> = {},
  clock: () => number = Date.now,
): Balancer {
  const s = { ...defaultHealthSettings, ...settings }
  const health = new Map<string, Map<string, InstanceHealth>>()
  const cursors = new Map<string, number>()
  const stateOf = (i: Instance) => {
    let byId = health.get(i.service)
    if (!byId) {
      byId = new Map()
      health.set(i.service, byId)
    }
    let h = byId.get(i.id)
    if (!h) {
      h = new InstanceHealth(s)
      byId.set(i.id, h)
    }
    return h
  }
  return {
    pick(instances, tried) {
      const now = clock()
      const candidates = instances.filter((i) => !tried.has(i.id) && stateOf(i).available(now))
      if (candidates.length === 0) return undefined
      let chosen: Instance
      if (strategy === 'least-outstanding' && candidates.length > 1) {
        const a = candidates[Math.floor(Math.random() * candidates.length)]!
        let b = candidates[Math.floor(Math.random() * (candidates.length - 1))]!
        if (b === a) b = candidates[candidates.length - 1]!
        chosen = stateOf(a).outstanding <= stateOf(b).outstanding ? a : b
      } else {
        const service = candidates[0]!.service
        const n = cursors.get(service) ?? 0
        cursors.set(service, (n + 1) % 1_000_000_007)
        chosen = candidates[n % candidates.length]!
      }
      stateOf(chosen).picked(now)
      return chosen
    },
    settle: (instance, ok) => stateOf(instance).settled(ok, clock()),
    health: (instance) => stateOf(instance).snapshot(clock()),
    retain(ids, service) {
      const byId = health.get(service)
      for (const id of byId?.keys() ?? []) if (!ids.has(id)) byId!.delete(id)
    },
  }
}
