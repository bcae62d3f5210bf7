import { describe, expect, test } from 'bun:test'
import type { Instance } from '../discovery/instance-directory.ts'
import { type BalancerEvent, createBalancer } from './balancer.ts'
import type { Outcome } from './instance-health.ts'

const instances: Instance[] = ['a', 'b', 'c'].map((id, i) => ({
  id,
  service: 'svc',
  address: '10.0.0.1',
  port: 3000 + i,
  url: `http://10.0.0.1:${3000 + i}`,
}))
const none = new Set<string>()
const ok: Outcome = { kind: 'success' }
const failed: Outcome = { kind: 'failure', reason: 'upstream_5xx' }
const neutral: Outcome = { kind: 'neutral' }

describe('balancer', () => {
  test('round robin visits every instance in turn and skips those already tried', () => {
    const b = createBalancer('round-robin')
    const picks = Array.from({ length: 6 }, () => {
      const i = b.pick(instances, none)!
      b.settle(i, ok)
      return i.id
    })
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
    expect(b.pick(instances, new Set(['a', 'b', 'c']))).toBeUndefined()
    expect(b.pick(instances, new Set(['a', 'b']))!.id).toBe('c')
  })

  test('least outstanding sends new requests away from a busy instance', () => {
    const b = createBalancer('least-outstanding')
    const busy = instances[0]!
    for (let i = 0; i < 50; i++) b.pick([busy], none)
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 }
    for (let i = 0; i < 300; i++) {
      const i2 = b.pick(instances, none)!
      counts[i2.id]!++
      b.settle(i2, ok)
    }
    // `a` has 50 in flight: it only wins when both samples are `a`, which never happens.
    expect(counts.a).toBe(0)
    expect(counts.b! + counts.c!).toBe(300)
  })

  test('consecutive failures eject an instance until the cool-down passes, and each change is reported', () => {
    let now = 0
    const events: BalancerEvent[] = []
    const pair = instances.slice(0, 2)
    const b = createBalancer('round-robin', {
      settings: { consecutiveFailures: 3, ejectionMs: 1_000 },
      clock: () => now,
      onEvent: (e) => events.push(e),
    })
    const a = instances[0]!
    for (let i = 0; i < 3; i++) {
      b.pick(pair, new Set(['b']), '/svc')
      b.settle(a, failed, '/svc')
    }
    expect(b.health(a).ejected).toBe(true)
    expect(b.health(a).lastFailureReason).toBe('upstream_5xx')
    expect(events).toEqual([
      {
        event: 'ejected',
        reason: 'upstream_5xx',
        ejectedForMs: 1_000,
        service: 'svc',
        instance: 'a',
        route: '/svc',
      },
    ])
    expect(b.pick(pair, new Set(['b']))).toBeUndefined()
    now += 1_000
    expect(b.pick(pair, new Set(['b']))?.id).toBe('a')
    expect(events.at(-1)).toMatchObject({ event: 'readmitted', instance: 'a' })
  })

  test('never ejects the last instance, nor more than half of a service', () => {
    const events: BalancerEvent[] = []
    const b = createBalancer('round-robin', {
      settings: { consecutiveFailures: 2 },
      onEvent: (e) => events.push(e),
    })
    const only = instances[0]!
    for (let i = 0; i < 10; i++) {
      b.pick([only], none)
      b.settle(only, failed)
    }
    expect(b.health(only).ejected).toBe(false)
    expect(b.pick([only], none)?.id).toBe('a')
    expect(events.filter((e) => e.event === 'ejection_vetoed').length).toBe(5)
    // Of three instances at most one (50% of 3, rounded down) is ejected at once.
    const b3 = createBalancer('round-robin', { settings: { consecutiveFailures: 2 } })
    for (const i of instances) {
      for (let n = 0; n < 2; n++) {
        b3.pick(instances, none)
        b3.settle(i, failed)
      }
    }
    expect(instances.filter((i) => b3.health(i).ejected).map((i) => i.id)).toEqual(['a'])
  })

  test('neutral outcomes (client-caused) never eject or open a breaker', () => {
    const b = createBalancer('round-robin', {
      settings: { consecutiveFailures: 2, breakerMinRequests: 2 },
    })
    const pair = instances.slice(0, 2)
    for (let i = 0; i < 100; i++) {
      const picked = b.pick(pair, none)!
      b.settle(picked, neutral)
    }
    for (const i of pair) expect(b.health(i)).toMatchObject({ ejected: false, breaker: 'closed' })
  })

  test('when breakers leave fewer than half the instances available, panic mode routes to all', () => {
    const events: BalancerEvent[] = []
    const b = createBalancer('round-robin', {
      settings: { consecutiveFailures: 1_000, breakerMinRequests: 2, breakerOpenMs: 60_000 },
      onEvent: (e) => events.push(e),
    })
    const only = instances[0]!
    b.pick([only], none)
    b.settle(only, failed)
    b.pick([only], none)
    b.settle(only, failed)
    expect(b.health(only).breaker).toBe('open')
    expect(b.pick([only], none)?.id).toBe('a')
    expect(b.inPanic('svc')).toBe(true)
    expect(events.map((e) => e.event)).toEqual(['breaker_open', 'panic_entered'])
  })

  test('the breaker opens on a failure ratio, half-opens for one probe, and closes on success', () => {
    let now = 0
    const b = createBalancer('round-robin', {
      settings: {
        consecutiveFailures: 1_000,
        breakerWindow: 10,
        breakerMinRequests: 4,
        breakerFailureRatio: 0.5,
        breakerOpenMs: 500,
        panicThresholdPercent: 0,
      },
      clock: () => now,
    })
    const a = instances[0]!
    for (const outcome of [ok, failed, ok, failed]) {
      b.pick([a], none)
      b.settle(a, outcome)
    }
    expect(b.health(a).breaker).toBe('open')
    expect(b.pick([a], none)).toBeUndefined()
    now += 500
    expect(b.health(a).breaker).toBe('half-open')
    expect(b.pick([a], none)?.id).toBe('a')
    // Only one probe at a time.
    expect(b.pick([a], none)).toBeUndefined()
    b.settle(a, failed)
    expect(b.health(a).breaker).toBe('open')
    now += 500
    b.pick([a], none)
    b.settle(a, ok)
    expect(b.health(a).breaker).toBe('closed')
    expect(b.pick([a], none)?.id).toBe('a')
  })
})
