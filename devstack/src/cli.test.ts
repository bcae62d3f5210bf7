import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { spawnUntilReady } from '../../bench/lib/spawn-ready.ts'

const cli = join(import.meta.dir, 'cli.ts')

test('devstack prints each component URL, serves clients, and exits 0 on SIGTERM', async () => {
  const { proc, lines } = await spawnUntilReady(
    ['bun', cli, '--only', 'kafka', '--kafka-port', '0'],
    /^devstack ready/,
  )
  const url = lines.find((l) => l.startsWith('kafka '))
  expect(url).toMatch(/^kafka\s+kafka:\/\/127\.0\.0\.1:\d+$/)
  const admin = new Kafka({
    brokers: [url!.split('kafka://')[1]!],
    logLevel: logLevel.NOTHING,
  }).admin()
  await admin.connect()
  expect(await admin.createTopics({ topics: [{ topic: 'cli-check' }] })).toBe(true)
  await admin.disconnect()
  proc.kill('SIGTERM')
  expect(await proc.exited).toBe(0)
})

test('devstack rejects an unknown component with exit code 2 and names the valid ones', async () => {
  const proc = Bun.spawn(['bun', cli, '--only', 'nosuch'], { stdout: 'pipe', stderr: 'pipe' })
  expect(await proc.exited).toBe(2)
  expect(await new Response(proc.stderr).text()).toContain(
    'unknown component "nosuch"; expected one of kafka',
  )
})
