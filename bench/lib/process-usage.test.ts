import { expect, test } from 'bun:test'
import { cpuSeconds, rssMiB } from './process-usage.ts'

test('reads this process’s memory and CPU time from /proc; a gone process has no memory', async () => {
  const rss = rssMiB(process.pid)
  expect(rss).toBeGreaterThan(10)
  expect(rss).toBeLessThan(4096)
  const before = cpuSeconds(process.pid)
  const until = performance.now() + 300
  let spin = 0
  while (performance.now() < until) spin++
  expect(spin).toBeGreaterThan(0)
  // 300 ms of busy work, counted in 10 ms ticks.
  expect(cpuSeconds(process.pid) - before).toBeGreaterThanOrEqual(0.2)
  const gone = Bun.spawn(['true'])
  await gone.exited
  expect(rssMiB(gone.pid)).toBeNull()
})
