import { describe, expect, test } from 'bun:test'
import type { Instance } from '../discovery/instance-directory.ts'
import { createBalancer } from './balancer.ts'

const instances: Instance[] = ['a', 'b', 'c'].map((id, i) => ({
  id,
  service: 'svc',
  address: '10.0.0.1',
  port: 3000 + i,
  url: `http://10.0.0.1:${3000 + i}`,
}))
const none = new Set<string>()

describe('balancer', () => {
  test('round robin visits every instance in turn and skips those already tried', () => {
    const b = createBalancer('round-robin')
    const picks = Array.from({ length: 6 }, () => {
      const i = b.pick(instances, none)!
      b.settle(i, true)
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
      b.settle(i2, true)
    }
    // `a` has 50 in flight: it only wins when both samples are `a`, which never happens.
    expect(counts.a).toBe(0)
    expect(counts.b! + counts.c!).toBe(300)
  })

  test('consecutive failures eject an instance until the cool-down passes', () => {
    let now = 0
    const b = createBalancer(
      'round-robin',
      { consecutiveFailures: 3, ejectionMs: 1_000 },
      () => now,
    )
    const a = instances[0]!
    for (let i = 0; i < 3; i++) {
      b.pick([a], none)
      b.settle(a, false)
    }
    expect(b.health(a).ejected).toBe(true)
    expect(b.pick([a], none)).toBeUndefined()
    now += 1_000
    expect(b.pick([a], none)?.id).toBe('a')
  })

  test('the breaker opens on a failure ratio, half-opens for one probe, and closes on success', () => {
    let now = 0
    const b = createBalancer(
      'round-robin',
      {
        consecutiveFailures: 1_000,
        breakerWindow: 10,
        breakerMinRequests: 4,
        breakerFailureRatio: 0.5,
        breakerOpenMs: 500,
      },
      () => now,
    )
    const a = instances[0]!
    for (const ok of [true, false, true, false]) {
      b.pick([a], none)
      b.settle(a, ok)
    }
    expect(b.health(a).breaker).toBe('open')
    expect(b.pick([a], none)).toBeUndefined()
    now += 500
    expect(b.health(a).breaker).toBe('half-open')
    expect(b.pick([a], none)?.id).toBe('a')
    // Only one probe at a time.
    expect(b.pick([a], none)).toBeUndefined()
    b.settle(a, false)
    expect(b.health(a).breaker).toBe('open')
    now += 500
    b.pick([a], none)
    b.settle(a, true)
    expect(b.health(a).breaker).toBe('closed')
    expect(b.pick([a], none)?.id).toBe('a')
  })
})
