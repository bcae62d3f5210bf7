import { expect, test } from 'bun:test'
import { adaptiveLimit } from './adaptive-limit.ts'

test('never more in flight than the limit; overload halves it, a run of successes grows it back', async () => {
  const gate = adaptiveLimit(8)
  let inFlight = 0
  let most = 0
  const seen: number[] = []
  // Tasks 10 to 12 see the server overloaded.
  const task = async (i: number) => {
    await gate.acquire()
    inFlight++
    most = Math.max(most, inFlight)
    await Promise.resolve()
    inFlight--
    gate.release(i >= 10 && i < 13)
    seen.push(gate.limit)
  }
  await Promise.all(Array.from({ length: 60 }, (_, i) => task(i)))
  expect(most).toBeLessThanOrEqual(8)
  expect(gate.lowest).toBe(1)
  expect(Math.min(...seen)).toBe(1)
  // 47 successes after the last overload: 1 + 2 + ... + 7 = 28 of them bring it back to 8.
  expect(gate.limit).toBe(8)
  expect(inFlight).toBe(0)
})

test('waiters are admitted in order as slots free up, and the limit never goes below 1', async () => {
  const gate = adaptiveLimit(1)
  await gate.acquire()
  const order: number[] = []
  const second = gate.acquire().then(() => order.push(2))
  const third = gate.acquire().then(() => order.push(3))
  gate.release(true)
  expect(gate.limit).toBe(1)
  await second
  gate.release(false)
  await third
  gate.release(false)
  expect(order).toEqual([2, 3])
})
