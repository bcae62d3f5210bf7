/** Behaviour specific to the MongoDB stand-in: persistence and cursor timeouts. */
import { afterEach, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient, type MongoServerError } from 'mongodb'
import { type MongoServer, startMongo } from './server.ts'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function open(
  options: Parameters<typeof startMongo>[0],
): Promise<{ server: MongoServer; client: MongoClient }> {
  const server = await startMongo({ port: 0, log: () => {}, ...options })
  const client = await MongoClient.connect(server.url, { serverSelectionTimeoutMS: 2_000 })
  cleanups.push(
    () => server.stop(),
    () => client.close(),
  )
  return { server, client }
}

test('documents, indexes and deletions survive a restart with a data directory', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mongo-stand-in-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const first = await open({ dataDir })
  const c = first.client.db('app').collection('users')
  await c.createIndex({ email: 1 }, { unique: true })
  await c.insertMany([{ email: 'a' }, { email: 'b' }, { email: 'c' }])
  await c.updateOne({ email: 'b' }, { $set: { name: 'Bea' } })
  await c.deleteOne({ email: 'c' })
  await first.client.close()
  await first.server.stop()

  const second = await open({ dataDir })
  const again = second.client.db('app').collection('users')
  const docs = await again
    .find({}, { projection: { _id: 0 } })
    .sort({ email: 1 })
    .toArray()
  expect<unknown>(docs).toEqual([{ email: 'a' }, { email: 'b', name: 'Bea' }])
  const dup = await again.insertOne({ email: 'a' }).catch((e: unknown) => e)
  expect((dup as MongoServerError).code).toBe(11000)
})

test('an idle cursor is closed after the cursor timeout', async () => {
  const { client } = await open({ cursorTimeoutMs: 200 })
  const c = client.db('app').collection('many')
  await c.insertMany(Array.from({ length: 20 }, (_, i) => ({ i })))
  const cursor = c.find({}, { batchSize: 2 })
  await cursor.next()
  await Bun.sleep(600)
  const err = await cursor.toArray().catch((e: unknown) => e)
  expect((err as MongoServerError).code).toBe(43)
})
