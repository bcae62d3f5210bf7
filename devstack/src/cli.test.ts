import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { rawKafka } from '@civildiy/kit/testing'
import { spawnUntilReady } from './testing/spawn-ready.ts'

const cli = join(import.meta.dir, 'cli.ts')

test('devstack prints one URL line per component, serves clients, and exits 0 on SIGTERM', async () => {
  const ports = ['--kafka-port', '0', '--mongo-port', '0', '--consul-port', '0', '--pg-port', '0']
  const { proc, lines } = await spawnUntilReady(
    [process.execPath, cli, '--in-memory', ...ports],
    /^devstack ready/,
    30_000,
  )
  const urls = Object.fromEntries(
    lines.flatMap((l) => {
      const m = /^(\w+)\s+(\S+)\s+\d+ ms/.exec(l)
      return m ? [[m[1], m[2]]] : []
    }),
  )
  expect(Object.keys(urls)).toEqual(['kafka', 'mongo', 'consul', 'pg'])
  expect(urls.mongo).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+$/)
  expect(urls.consul).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  expect(urls.pg).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
  const admin = rawKafka([urls.kafka!.replace('kafka://', '')], 'cli-test').admin()
  await admin.connect()
  expect(await admin.createTopics({ topics: [{ topic: 'cli-check' }] })).toBe(true)
  await admin.disconnect()
  proc.kill('SIGTERM')
  expect(await proc.exited).toBe(0)
}, 40_000)

test('devstack rejects an unknown component with exit code 2 and names the valid ones', async () => {
  const proc = Bun.spawn([process.execPath, cli, '--only', 'nosuch'], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  expect(await proc.exited).toBe(2)
  expect(await new Response(proc.stderr).text()).toContain(
    'unknown component "nosuch"; expected one of kafka, mongo, consul, pg, upstash',
  )
})

test('devstack refuses the upstash component without a Redis URL', async () => {
  const proc = Bun.spawn([process.execPath, cli, '--only', 'upstash'], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  expect(await proc.exited).toBe(2)
  expect(await new Response(proc.stderr).text()).toContain('--upstash-redis')
})
