import { expect, test } from 'bun:test'
import { createRetryBudget } from './retry-budget.ts'

test('retries are capped at a ratio of recent requests plus a small floor, and recover', () => {
  let now = 0
  const budget = createRetryBudget({ ratio: 0.1, minPerSecond: 1, windowMs: 10_000 }, () => now)
  for (let i = 0; i < 100; i++) budget.request()
  // Floor 1/s over 10 s = 10, plus 10% of 100 requests = 10.
  let granted = 0
  while (budget.tryRetry()) granted++
  expect(granted).toBe(20)
  now += 11_000
  expect(budget.tryRetry()).toBe(true)
})
