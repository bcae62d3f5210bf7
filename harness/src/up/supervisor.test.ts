/** The supervisor with real child processes: restart with backoff, stop stays stopped, status counts. */
import { afterAll, expect, test } from 'bun:test'
import { createSupervisor, StartFailed } from './supervisor.ts'

const lines: string[] = []
const sup = createSupervisor((l) => lines.push(l), { baseMs: 50, capMs: 200, stableMs: 60_000 })
afterAll(() => sup.stopAll(['sleeper', 'crasher']))

// A child that serves a "ready" file once it runs: the probe reads its pid from it.
const readyFile = `/tmp/supervisor-test-${process.pid}`
sup.add({
  name: 'sleeper',
  kind: 'service',
  url: 'n/a',
  cmd: [
    process.execPath,
    '-e',
    `require('fs').writeFileSync('${readyFile}', String(process.pid)); setInterval(() => {}, 1000)`,
  ],
  env: process.env,
  ready: async () =>
    (await Bun.file(readyFile)
      .text()
      .catch(() => '')) !== '',
})

const until = async (ok: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}
const state = (name: string) => sup.status().find((s) => s.name === name)!

test('a killed child is restarted, with its exit and restart counted and printed', async () => {
  await sup.start('sleeper')
  sup.supervise()
  const first = state('sleeper').pid
  sup.kill('sleeper', 'SIGKILL')
  await until(
    () => state('sleeper').restarts === 1 && state('sleeper').state === 'running',
    'a restart',
  )
  expect(state('sleeper').pid).not.toBe(first)
  expect(state('sleeper').lastExit).toBe('signal SIGKILL')
  expect(
    lines.some((l) => l.includes('sleeper exited (signal SIGKILL); restarting in 50 ms')),
  ).toBe(true)
})

test('a stopped child stays down until started; restart replaces it', async () => {
  await sup.stop('sleeper')
  await Bun.sleep(300)
  expect(state('sleeper')).toMatchObject({ state: 'stopped', pid: null, restarts: 1 })
  await sup.start('sleeper')
  const pid = state('sleeper').pid
  await sup.restart('sleeper')
  expect(state('sleeper').state).toBe('running')
  expect(state('sleeper').pid).not.toBe(pid)
  expect(state('sleeper').restarts).toBe(1)
})

test('a child that keeps crashing backs off, doubling up to the cap', async () => {
  sup.add({
    name: 'crasher',
    kind: 'service',
    url: 'n/a',
    cmd: [process.execPath, '-e', 'setTimeout(() => process.exit(3), 20)'],
    env: process.env,
    ready: async () => true,
  })
  await sup.start('crasher').catch((e) => expect(e).toBeInstanceOf(StartFailed))
  await until(() => state('crasher').restarts >= 4, 'four restarts')
  const delays = lines
    .filter((l) => l.includes('crasher exited'))
    .map((l) => Number(/restarting in (\d+) ms/.exec(l)![1]))
  expect(delays.slice(0, 4)).toEqual([50, 100, 200, 200])
  expect(state('crasher').lastExit).toBe('code 3')
  await sup.stop('crasher')
})

test('an unknown name is an error naming the known ones', () => {
  expect(() => sup.kill('nope', 'SIGKILL')).toThrow('known: sleeper')
})
