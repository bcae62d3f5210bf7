/**
 * k6 cannot run here, so its scripts are checked two ways: `tsc -p loadtests`
 * against @types/k6 (in `npm run typecheck`), and this test, which loads every
 * script's options for each profile and checks scenarios and thresholds are
 * well formed and name metrics that exist.
 */
import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { authFlowOptions } from './auth-flow.options.ts'
import { commentsOptions } from './comments.options.ts'
import { feedReadOptions } from './feed-read.options.ts'
import type { Env, Options } from './lib/profiles.ts'
import { mixedOptions } from './mixed.options.ts'
import { notificationsOptions } from './notifications.options.ts'
import { propagationOptions } from './propagation.options.ts'
import { searchOptions } from './search.options.ts'

const scripts: Record<string, (env: Env) => Options> = {
  'auth-flow': authFlowOptions,
  mixed: mixedOptions,
  propagation: propagationOptions,
  'feed-read': feedReadOptions,
  search: searchOptions,
  comments: commentsOptions,
  notifications: notificationsOptions,
}
const builtIn = new Set([
  'http_req_duration',
  'http_req_failed',
  'http_reqs',
  'checks',
  'iterations',
  'iteration_duration',
  'data_received',
  'data_sent',
])
const EXPRESSION =
  /^(p\(\d+(\.\d+)?\)|rate|count|avg|min|max|med|value)\s*(<|<=|>|>=|==|!=)\s*\d+(\.\d+)?$/
const DURATION = /^\d+(ms|s|m|h)$/

for (const [name, build] of Object.entries(scripts)) {
  describe(`loadtests/${name}.ts`, async () => {
    const source = await Bun.file(join(import.meta.dir, `${name}.ts`)).text()
    const custom = new Set(
      [...source.matchAll(/new (?:Trend|Counter|Rate|Gauge)\('(\w+)'/g)].map((m) => m[1]!),
    )

    test('exports the options built from __ENV and a default function', () => {
      expect(source).toMatch(/export const options = \w+Options\(__ENV\)/)
      expect(source).toMatch(/export default function/)
    })

    for (const profile of ['smoke', 'load', 'soak']) {
      test(`${profile}: scenarios and thresholds are well formed`, () => {
        const o = build({ PROFILE: profile, RATE: '7' })
        const scenarios = Object.entries(o.scenarios)
        expect(scenarios.map(([k]) => k)).toEqual([profile])
        for (const [, s] of scenarios) {
          if (s.executor === 'constant-arrival-rate') {
            expect(s.rate).toBe(7)
            expect(s.duration).toMatch(DURATION)
            expect(s.timeUnit).toMatch(DURATION)
            expect(s.maxVUs!).toBeGreaterThanOrEqual(s.preAllocatedVUs!)
          } else {
            expect(s.executor).toBe('shared-iterations')
            expect(s.iterations!).toBeGreaterThan(0)
            expect(s.maxDuration).toMatch(DURATION)
          }
        }
        expect(Object.keys(o.thresholds).length).toBeGreaterThan(0)
        for (const [metric, rules] of Object.entries(o.thresholds)) {
          const base = metric.replace(/\{.*\}$/, '')
          expect({ metric, known: builtIn.has(base) || custom.has(base) }).toEqual({
            metric,
            known: true,
          })
          for (const rule of rules) expect(rule).toMatch(EXPRESSION)
        }
      })
    }

    test('an unknown profile is refused', () => {
      expect(() => build({ PROFILE: 'stress' })).toThrow('PROFILE must be smoke, load or soak')
    })
  })
}
