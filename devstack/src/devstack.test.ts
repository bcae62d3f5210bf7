/** The whole devstack, each component reached through its real client. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { rawKafka } from '@civildiy/kit/testing'
import Consul from 'consul'
import { MongoClient } from 'mongodb'
import postgres from 'postgres'
import { type Devstack, startDevstack } from './devstack.ts'

let stack: Devstack

beforeAll(async () => {
  stack = await startDevstack({
    kafka: { port: 0, log: () => {} },
    mongo: { port: 0, log: () => {} },
    consul: { port: 0 },
    pg: { port: 0 },
  })
}, 60_000)

afterAll(async () => {
  await stack?.stop()
})

test('starts kafka, mongo, consul and pg, and each answers its own client', async () => {
  expect(stack.components.map((c) => c.name)).toEqual(['kafka', 'mongo', 'consul', 'pg'])
  expect(stack.url('upstash')).toBeUndefined()

  const admin = rawKafka([stack.url('kafka')!.replace('kafka://', '')], 'devstack-test').admin()
  await admin.connect()
  expect(await admin.createTopics({ topics: [{ topic: 'devstack-check' }] })).toBe(true)
  await admin.disconnect()

  const mongo = await MongoClient.connect(stack.url('mongo')!, { serverSelectionTimeoutMS: 2_000 })
  expect(await mongo.db('check').command({ ping: 1 })).toMatchObject({ ok: 1 })
  await mongo.close()

  const consulUrl = new URL(stack.url('consul')!)
  const consul = new Consul({ host: consulUrl.hostname, port: Number(consulUrl.port) })
  expect(await consul.status.leader()).toMatch(/:8300$/)

  const sql = postgres(stack.url('pg')!, { max: 1 })
  const [row] = await sql<{ answer: number }[]>`select 40 + 2 as answer`
  expect(row!.answer).toBe(42)
  await sql.end()
})

test('an explicitly requested port that is taken fails the start and stops what had started', async () => {
  const kafkaPort = Number(stack.url('kafka')!.split(':').at(-1))
  await expect(
    startDevstack({
      only: ['consul', 'kafka'],
      consul: { port: 0 },
      kafka: { port: kafkaPort, log: () => {} },
    }),
  ).rejects.toThrow()
})

test('the upstash component refuses to start without a Redis URL', async () => {
  await expect(startDevstack({ only: ['upstash'] })).rejects.toThrow('needs a Redis URL')
})
