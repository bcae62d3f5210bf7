import { expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rawKafka } from '@civildiy/kit/testing'
import { Kafka, logLevel } from 'kafkajs'
import { MongoClient } from 'mongodb'
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

test('devstack with --kafka-sasl and --mongo-users requires those users', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'devstack-auth-'))
  const kafkaFile = join(dir, 'kafka-sasl.json')
  const mongoFile = join(dir, 'mongo-users.json')
  writeFileSync(kafkaFile, JSON.stringify({ users: { posts: 'posts-secret' } }))
  writeFileSync(
    mongoFile,
    JSON.stringify({ posts: { password: 'posts-secret', authDb: 'posts', databases: ['posts'] } }),
  )
  const { proc, lines } = await spawnUntilReady(
    [
      process.execPath,
      cli,
      '--in-memory',
      '--only',
      'kafka,mongo',
      ...['--kafka-port', '0', '--mongo-port', '0', '--quiet'],
      ...['--kafka-sasl', kafkaFile, '--mongo-users', mongoFile],
    ],
    /^devstack ready/,
    30_000,
  )
  try {
    const url = (name: string) => lines.find((l) => l.startsWith(name))!.split(/\s+/)[1]!
    const kafka = new Kafka({
      brokers: [url('kafka').replace('kafka://', '')],
      logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-256', username: 'posts', password: 'posts-secret' },
    })
    const admin = kafka.admin()
    await admin.connect()
    expect(await admin.createTopics({ topics: [{ topic: 'cli-sasl' }] })).toBe(true)
    await admin.disconnect()
    const mongo = new MongoClient(
      `${url('mongo').replace('mongodb://', 'mongodb://posts:posts-secret@')}/?authSource=posts`,
    )
    await mongo.db('posts').collection('c').insertOne({ ok: true })
    await mongo.close()
  } finally {
    proc.kill('SIGTERM')
    await proc.exited
  }
}, 40_000)

test('devstack names the wrong path of a users file and exits 2', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'devstack-auth-')), 'kafka-sasl.json')
  writeFileSync(file, JSON.stringify({ users: { posts: 'x' }, acls: { posts: { wirte: [] } } }))
  const proc = Bun.spawn([process.execPath, cli, '--only', 'kafka', '--kafka-sasl', file], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  expect(await proc.exited).toBe(2)
  expect(await new Response(proc.stderr).text()).toContain(`${file}: /acls/posts/wirte`)
})
