/** Behaviour specific to the MongoDB stand-in: persistence and cursor timeouts. */
import { afterEach, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deserialize, serialize } from 'bson'
import { Long, MongoClient, type MongoServerError } from 'mongodb'
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
  await c.updateOne({ email: 'b' }, { $set: { name: 'Bea', visits: Long.fromNumber(3) } })
  await c.deleteOne({ email: 'c' })
  await first.client.close()
  await first.server.stop()

  const second = await open({ dataDir })
  const again = second.client.db('app').collection('users')
  const docs = await again
    .find({}, { projection: { _id: 0 } })
    .sort({ email: 1 })
    .toArray()
  expect<unknown>(docs).toEqual([{ email: 'a' }, { email: 'b', name: 'Bea', visits: 3 }])
  // An Int64 is still an Int64 after the restart (the data log keeps BSON types).
  const bea = await again.findOne({ email: 'b' }, { promoteLongs: false })
  expect(bea!.visits).toBeInstanceOf(Long)
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

/** One OP_MSG (opcode 2013) with a single body section. */
function opMsg(requestId: number, body: Record<string, unknown>): Uint8Array {
  const doc = serialize(body)
  const frame = Buffer.alloc(16 + 4 + 1 + doc.length)
  frame.writeInt32LE(frame.length, 0)
  frame.writeInt32LE(requestId, 4)
  frame.writeInt32LE(0, 8)
  frame.writeInt32LE(2013, 12)
  frame.writeUInt32LE(0, 16) // flags
  frame.writeUInt8(0, 20) // section kind 0: body
  Buffer.from(doc).copy(frame, 21)
  return frame
}

test('an OP_MSG without $db gets error 40571, as from mongod, and the connection stays usable', async () => {
  const server = await startMongo({ port: 0, log: () => {} })
  cleanups.push(() => server.stop())
  const replies: Buffer[] = []
  let closed = false
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port: server.port,
    socket: {
      data: (_s, d) => void replies.push(Buffer.from(d)),
      close: () => {
        closed = true
      },
    },
  })
  cleanups.push(() => socket.end())
  const reply = async (n: number) => {
    const deadline = Date.now() + 5_000
    for (;;) {
      const all = Buffer.concat(replies)
      let at = 0
      const frames: Buffer[] = []
      while (at + 4 <= all.length && at + all.readInt32LE(at) <= all.length) {
        frames.push(all.subarray(at, at + all.readInt32LE(at)))
        at += all.readInt32LE(at)
      }
      if (frames.length >= n) return deserialize(frames[n - 1]!.subarray(21))
      if (Date.now() > deadline) throw new Error('no reply')
      await Bun.sleep(10)
    }
  }
  socket.write(opMsg(1, { ping: 1 }))
  expect(await reply(1)).toMatchObject({ ok: 0, code: 40571 })
  socket.write(opMsg(2, { ping: 1, $db: 'admin' }))
  expect(await reply(2)).toMatchObject({ ok: 1 })
  expect(closed).toBe(false)
})
