import { afterAll, expect, test } from 'bun:test'
import { NO_REDIS_REASON, startTestRedis } from '@civildiy/devstack'
import { RedisClient } from 'bun'
import { cpuSeconds, redisCpuSeconds, rssMiB, treeCpuSeconds } from './process-usage.ts'

test('reads this process’s memory and CPU time from /proc; a gone process has no memory', async () => {
  const rss = rssMiB(process.pid)
  expect(rss).toBeGreaterThan(10)
  expect(rss).toBeLessThan(4096)
  const before = cpuSeconds(process.pid)
  const until = performance.now() + 300
  let spin = 0
  while (performance.now() < until) spin++
  expect(spin).toBeGreaterThan(0)
  // 300 ms of busy work, counted in 10 ms ticks: how much of it this process got
  // depends on how busy the machine is, so only that it counted is asserted.
  expect(cpuSeconds(process.pid) - before).toBeGreaterThan(0)
  const gone = Bun.spawn(['true'])
  await gone.exited
  expect(rssMiB(gone.pid)).toBeNull()
})

test('a process tree’s CPU time includes its busy child; the parent’s own does not', async () => {
  // The shell only waits; its child (whose pid it prints) spins until killed.
  const shell = Bun.spawn(['sh', '-c', 'yes > /dev/null 2>&1 & echo $!; wait'], {
    stdout: 'pipe',
    stderr: 'ignore',
  })
  const reader = shell.stdout.getReader()
  const child = Number(new TextDecoder().decode((await reader.read()).value).trim())
  try {
    expect(child).toBeGreaterThan(0)
    await Bun.sleep(50)
    const tree0 = treeCpuSeconds(shell.pid)
    const own0 = cpuSeconds(shell.pid)
    await Bun.sleep(500)
    // The child spins for 0.5 s and the shell only waits: the tree counted CPU
    // time that the shell's own figure does not have (how much depends on the machine).
    const tree = treeCpuSeconds(shell.pid) - tree0
    const own = cpuSeconds(shell.pid) - own0
    expect(tree).toBeGreaterThan(0)
    expect(tree).toBeGreaterThan(own)
  } finally {
    if (child > 0) process.kill(child)
    await shell.exited
  }
})

const redis = await startTestRedis()
if (!redis) console.warn(`SKIPPED redisCpuSeconds against a real Redis: ${NO_REDIS_REASON}`)
afterAll(async () => {
  await redis?.stop()
})

test.skipIf(!redis)('a Redis server’s CPU time grows while it works', async () => {
  const client = new RedisClient(redis!.url)
  try {
    const before = await redisCpuSeconds(client)
    expect(before).toBeGreaterThan(0)
    // A few hundred ms of server work: sorting a large set on every call.
    await client.send('EVAL', ["for i = 1, 20000 do redis.call('SADD', KEYS[1], i) end", '1', 's'])
    for (let i = 0; i < 40; i++) await client.send('SORT', ['s'])
    expect(await redisCpuSeconds(client)).toBeGreaterThan(before)
  } finally {
    client.close()
  }
})
