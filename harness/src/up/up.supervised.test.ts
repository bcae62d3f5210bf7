/**
 * `harness up` as a real process on free ports: each of its children (the five
 * deployables and the embedded Kafka, MongoDB and Consul) is killed with SIGKILL
 * in turn through the control socket, comes back on its own, and the stack then
 * passes `harness check`.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { runCheck } from '../check/check.ts'
import type { StackInfo } from '../stack-file.ts'
import { type RunningHarness, startHarnessUp } from '../testing/harness-up.ts'
import { type ControlClient, controlClient } from './control.ts'

let harness: RunningHarness
let stack: StackInfo
let control: ControlClient

beforeAll(async () => {
  harness = await startHarnessUp()
  stack = harness.stack
  control = controlClient(stack.control!)
}, 120_000)

afterAll(async () => {
  await harness?.stop()
})

test('every child killed in turn comes back, and the stack then passes harness check', async () => {
  const names = (await control.status()).map((s) => s.name)
  expect(names.sort()).toEqual(
    [
      'auth',
      'consul',
      'feed',
      'gateway',
      'kafka',
      'mongo',
      'pg-auth',
      'pg-profile',
      'pg-search',
      'pg-notifications',
      'notifications',
      'posts',
      'profile',
      'search',
    ].sort(),
  )
  for (const name of names) {
    const before = (await control.status()).find((s) => s.name === name)!
    await control.kill(name, 'SIGKILL')
    const deadline = Date.now() + 60_000
    for (;;) {
      const s = (await control.status()).find((x) => x.name === name)!
      if (s.state === 'running' && s.restarts === before.restarts + 1) {
        expect(s.pid).not.toBe(before.pid)
        expect(s.lastExit).toBe('signal SIGKILL')
        break
      }
      if (Date.now() > deadline) throw new Error(`${name} did not come back: ${JSON.stringify(s)}`)
      await Bun.sleep(50)
    }
  }
  // Consul came back empty: give the services' reconcile loops (5 s) time to register again.
  let report = await runCheck(checkOptions())
  for (let i = 0; i < 10 && !report.ok; i++) {
    await Bun.sleep(2_000)
    report = await runCheck(checkOptions())
  }
  expect(
    report.steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.failures.join('; ')}`),
  ).toEqual([])
}, 240_000)

function checkOptions() {
  return {
    gateway: stack.gateway,
    consul: stack.consul,
    posts: 5,
    ratePerSec: 10,
    feedReads: 20,
    timeoutMs: 15_000,
    propagationP99Ms: 15_000,
    feedP99Ms: 5_000,
  }
}
