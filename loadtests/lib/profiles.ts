/**
 * k6 scenario profiles shared by every script, with no k6 imports so tests can
 * load them: `smoke` (1 VU, a few iterations: does it work), `load` (a steady
 * arrival rate for minutes: the figures) and `soak` (the same rate for an hour:
 * leaks and drift). Pick one with `-e PROFILE=load` (default smoke); rates and
 * durations come from `-e RATE=` and `-e DURATION=`.
 * Source: https://grafana.com/docs/k6/latest/using-k6/scenarios/
 */

export type Profile = 'smoke' | 'load' | 'soak'

export interface Scenario {
  executor: 'shared-iterations' | 'constant-arrival-rate'
  exec?: string
  vus?: number
  iterations?: number
  rate?: number
  timeUnit?: string
  duration?: string
  preAllocatedVUs?: number
  maxVUs?: number
  maxDuration?: string
  tags?: Record<string, string>
}

export interface Options {
  scenarios: Record<string, Scenario>
  thresholds: Record<string, string[]>
  setupTimeout?: string
}

/** The environment a script sees (k6's `__ENV`). */
export type Env = Record<string, string | undefined>

/**
 * One scenario for the chosen profile.
 * @throws Error on an unknown PROFILE.
 * @example scenarioFor({ PROFILE: 'load', RATE: '50' }, { rate: 20, exec: 'default' })
 */
export function scenarioFor(
  env: Env,
  o: { rate: number; exec?: string },
): Record<string, Scenario> {
  const profile = (env.PROFILE ?? 'smoke') as Profile
  const rate = Number(env.RATE ?? o.rate)
  const base = { exec: o.exec ?? 'default', tags: { profile } }
  switch (profile) {
    case 'smoke':
      return {
        smoke: { ...base, executor: 'shared-iterations', vus: 1, iterations: 5, maxDuration: '1m' },
      }
    case 'load':
      return {
        load: {
          ...base,
          executor: 'constant-arrival-rate',
          rate,
          timeUnit: '1s',
          duration: env.DURATION ?? '5m',
          preAllocatedVUs: Math.max(10, rate),
          maxVUs: Math.max(50, rate * 4),
        },
      }
    case 'soak':
      return {
        soak: {
          ...base,
          executor: 'constant-arrival-rate',
          rate,
          timeUnit: '1s',
          duration: env.DURATION ?? '1h',
          preAllocatedVUs: Math.max(10, rate),
          maxVUs: Math.max(50, rate * 4),
        },
      }
    default:
      throw new Error(`PROFILE must be smoke, load or soak, not "${profile}"`)
  }
}
