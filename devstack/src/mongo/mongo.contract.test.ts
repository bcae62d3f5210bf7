/**
 * Contract suite for the MongoDB stand-in, driven only through the official
 * `mongodb` driver. With MONGO_URL set, it runs against that server instead.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import {
  type Collection,
  type Db,
  Decimal128,
  type Document,
  Long,
  MongoClient,
  MongoServerError,
  ObjectId,
} from 'mongodb'
import { type MongoLogEntry, type MongoServer, startMongo } from './server.ts'

const external = process.env.MONGO_URL
let server: MongoServer | null = null
let url: string
let client: MongoClient
let db: Db
const logs: MongoLogEntry[] = []
const commands: string[] = []

beforeAll(async () => {
  if (!external) server = await startMongo({ port: 0, log: (e) => logs.push(e) })
  url = external ?? server!.url
  client = new MongoClient(url, { serverSelectionTimeoutMS: 3_000, monitorCommands: true })
  client.on('commandStarted', (e) => commands.push(e.commandName))
  await client.connect()
  db = client.db(`contract_${randomUUID().slice(0, 8)}`)
})

afterAll(async () => {
  await db.dropDatabase().catch(() => {})
  await client.close()
  await server?.stop()
})

function coll<T extends Document = Document>(prefix: string): Collection<T> {
  return db.collection<T>(`${prefix}_${randomUUID().slice(0, 6)}`)
}

describe('CRUD', () => {
  test('inserts and reads back across several getMore batches', async () => {
    const c = coll('batches')
    await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ i, even: i % 2 === 0 })))
    const before = commands.filter((n) => n === 'getMore').length
    const docs = await c
      .find({ even: true }, { batchSize: 40, projection: { _id: 0, i: 1 } })
      .sort({ i: -1 })
      .toArray()
    expect(docs).toHaveLength(125)
    expect<unknown>(docs[0]).toEqual({ i: 248 })
    expect<unknown>(docs.at(-1)).toEqual({ i: 0 })
    expect(commands.filter((n) => n === 'getMore').length - before).toBeGreaterThanOrEqual(3)
    expect(await c.find({}).skip(240).limit(5).toArray()).toHaveLength(5)
    expect(await c.countDocuments({ i: { $lt: 10 } })).toBe(10)
    expect(await c.estimatedDocumentCount()).toBe(250)
  })

  test('updates with operators, multi, arrayFilters and replacement', async () => {
    const c = coll<{
      _id: number
      n?: number
      tags?: string[]
      scores?: number[]
      seen?: boolean
      fresh?: string
    }>('updates')
    await c.insertMany([
      { _id: 1, n: 1, tags: ['a'], scores: [1, 5, 9] },
      { _id: 2, n: 2, tags: [], scores: [] },
    ])
    const one = await c.updateOne(
      { _id: 1 },
      { $inc: { n: 10 }, $push: { tags: 'b' }, $set: { 'scores.$[big]': 0 } },
      { arrayFilters: [{ big: { $gt: 4 } }] },
    )
    expect(one).toMatchObject({ matchedCount: 1, modifiedCount: 1 })
    expect<unknown>(await c.findOne({ _id: 1 })).toEqual({
      _id: 1,
      n: 11,
      tags: ['a', 'b'],
      scores: [1, 0, 0],
    })
    const many = await c.updateMany({}, { $set: { seen: true } })
    expect(many).toMatchObject({ matchedCount: 2, modifiedCount: 2 })
    const noop = await c.updateOne({ _id: 2 }, { $set: { seen: true } })
    expect(noop).toMatchObject({ matchedCount: 1, modifiedCount: 0 })
    await c.replaceOne({ _id: 2 }, { fresh: 'doc' })
    expect<unknown>(await c.findOne({ _id: 2 })).toEqual({ _id: 2, fresh: 'doc' })
  })

  test('projections: $slice alone keeps every field, goes with an exclusion, and inclusions return _id first', async () => {
    const c = coll<{ _id: number; name: string; secret: string; items: number[] }>('projections')
    await c.insertOne({ _id: 1, name: 'n', secret: 's', items: [1, 2, 3, 4, 5] })
    expect<unknown>(await c.findOne({ _id: 1 }, { projection: { items: { $slice: 2 } } })).toEqual({
      _id: 1,
      name: 'n',
      secret: 's',
      items: [1, 2],
    })
    expect<unknown>(
      await c.findOne({ _id: 1 }, { projection: { items: { $slice: [-2, 1] }, secret: 0 } }),
    ).toEqual({ _id: 1, name: 'n', items: [4] })
    const included = await c.findOne({ _id: 1 }, { projection: { name: 1, items: { $slice: -1 } } })
    expect(Object.keys(included!)).toEqual(['_id', 'name', 'items'])
    expect<unknown>(included).toEqual({ _id: 1, name: 'n', items: [5] })
  })

  test('listDatabases sizes each database by its data; capped collections are refused, not faked', async () => {
    const c = coll<{ _id: number; text: string }>('sized')
    await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, text: 'x'.repeat(100) })))
    const { databases } = await client.db('admin').admin().listDatabases()
    const mine = databases.find((d) => d.name === c.dbName)!
    expect(mine.sizeOnDisk).toBeGreaterThan(0)
    if (!external)
      await expect(
        db.createCollection(`capped-${Date.now()}`, { capped: true, size: 4096 }),
      ).rejects.toThrow(/capped/)
  })

  test('$inc is exact on Int64 beyond 2^53 and on Decimal128, and keeps their types', async () => {
    const c = coll<{ _id: number; big: Long; d: Decimal128 }>('wide')
    await c.insertOne({
      _id: 1,
      big: Long.fromString('4611686018427387905'),
      d: Decimal128.fromString('1.10'),
    })
    await c.updateOne({ _id: 1 }, { $inc: { big: 1, d: Decimal128.fromString('0.05') } })
    await c.updateOne({ _id: 1 }, { $inc: { d: 2 } })
    const doc = await c.findOne({ _id: 1 }, { promoteLongs: false })
    expect(doc!.big).toBeInstanceOf(Long)
    expect((doc!.big as Long).toString()).toBe('4611686018427387906')
    expect(doc!.d).toBeInstanceOf(Decimal128)
    expect((doc!.d as Decimal128).toString()).toBe('3.15')
  })

  test('Int64 stays Int64 and double stays double, through updates and pass-through reads', async () => {
    const c = coll<{
      _id: number
      n: Long | number
      m: Long | number
      d: number
      sub: { k: Long | number }
    }>('int64')
    await c.insertOne({
      _id: 1,
      n: Long.fromNumber(5),
      m: Long.fromNumber(7),
      d: 3e9,
      sub: { k: Long.fromNumber(1) },
    })
    await c.updateOne({ _id: 1 }, { $inc: { n: 1 }, $set: { m: 8 } })
    const typed = await c.findOne({ _id: 1 }, { promoteLongs: false, promoteValues: false })
    expect(typed!.n).toBeInstanceOf(Long)
    expect(String(typed!.n)).toBe('6')
    // $set with an Int32 makes it an Int32, as in mongod.
    expect(typed!.m).not.toBeInstanceOf(Long)
    expect(typed!.sub.k).toBeInstanceOf(Long)
    // A double beyond Int32 stays a double.
    expect(typed!.d).not.toBeInstanceOf(Long)
    const [passed] = await c.aggregate([{ $match: { _id: 1 } }], { promoteLongs: false }).toArray()
    expect(passed!.n).toBeInstanceOf(Long)
    const after = await c.findOneAndUpdate(
      { _id: 1 },
      { $inc: { n: 1 } },
      { returnDocument: 'after', promoteLongs: false },
    )
    expect(after!.n).toBeInstanceOf(Long)
    expect(String(after!.n)).toBe('7')
  })

  test('$sum and $avg over Decimal128 and big Int64 are exact and keep the widest type', async () => {
    const c = coll<{ _id: number; g: string; d?: Decimal128; n?: Long | number }>('sums')
    await c.insertMany([
      { _id: 1, g: 'dec', d: Decimal128.fromString('0.10') },
      { _id: 2, g: 'dec', d: Decimal128.fromString('0.20') },
      { _id: 3, g: 'long', n: Long.fromString('9007199254740993') },
      { _id: 4, g: 'long', n: 1 },
      { _id: 5, g: 'plain', n: 2 },
      { _id: 6, g: 'plain', n: 4 },
    ])
    const rows = await c
      .aggregate(
        [
          {
            $group: {
              _id: '$g',
              sum: { $sum: { $ifNull: ['$d', '$n'] } },
              avg: { $avg: { $ifNull: ['$d', '$n'] } },
            },
          },
          { $sort: { _id: 1 } },
        ],
        { promoteLongs: false },
      )
      .toArray()
    const byGroup = Object.fromEntries(rows.map((r) => [r._id, r]))
    expect(byGroup.dec!.sum).toBeInstanceOf(Decimal128)
    expect(String(byGroup.dec!.sum)).toBe('0.30')
    expect(String(byGroup.dec!.avg)).toBe('0.15')
    expect(byGroup.long!.sum).toBeInstanceOf(Long)
    expect(String(byGroup.long!.sum)).toBe('9007199254740994')
    expect(Number(byGroup.plain!.sum)).toBe(6)
    expect(byGroup.plain!.avg).toBe(3)
  })

  test('the positional $ updates the array element the query matched', async () => {
    const c = coll<{ _id: number; items: { sku: string; q: number }[] }>('positional')
    await c.insertOne({
      _id: 1,
      items: [
        { sku: 'a', q: 1 },
        { sku: 'b', q: 2 },
      ],
    })
    const r = await c.updateOne({ _id: 1, 'items.sku': 'b' }, { $inc: { 'items.$.q': 5 } })
    expect(r).toMatchObject({ matchedCount: 1, modifiedCount: 1 })
    const after = await c.findOneAndUpdate(
      { 'items.sku': 'a' },
      { $set: { 'items.$.q': 0 } },
      { returnDocument: 'after' },
    )
    expect<unknown>(after?.items).toEqual([
      { sku: 'a', q: 0 },
      { sku: 'b', q: 7 },
    ])
  })

  test('upsert inserts from the query and applies $setOnInsert only when inserting', async () => {
    const c = coll('upserts')
    const first = await c.updateOne(
      { email: 'a@x' },
      { $set: { seen: 1 }, $setOnInsert: { created: 'once' } },
      { upsert: true },
    )
    expect(first.upsertedCount).toBe(1)
    const again = await c.updateOne(
      { email: 'a@x' },
      { $set: { seen: 2 }, $setOnInsert: { created: 'twice' } },
      { upsert: true },
    )
    expect(again).toMatchObject({ upsertedCount: 0, matchedCount: 1 })
    expect<unknown>(await c.findOne({ email: 'a@x' }, { projection: { _id: 0 } })).toEqual({
      email: 'a@x',
      seen: 2,
      created: 'once',
    })
  })

  test('deletes one or many, and findOneAndUpdate / findOneAndDelete return documents', async () => {
    const c = coll('deletes')
    await c.insertMany([{ k: 1 }, { k: 1 }, { k: 1 }, { k: 2 }])
    expect((await c.deleteOne({ k: 1 })).deletedCount).toBe(1)
    expect((await c.deleteMany({ k: 1 })).deletedCount).toBe(2)
    const after = await c.findOneAndUpdate(
      { k: 2 },
      { $set: { k: 3 } },
      { returnDocument: 'after', projection: { _id: 0 } },
    )
    expect<unknown>(after).toEqual({ k: 3 })
    expect(await c.findOneAndUpdate({ k: 99 }, { $set: { z: 1 } })).toBeNull()
    expect<unknown>(await c.findOneAndDelete({ k: 3 }, { projection: { _id: 0 } })).toEqual({
      k: 3,
    })
    expect(await c.countDocuments()).toBe(0)
  })

  test('a unique index rejects a duplicate with E11000 (code 11000) and an ordered batch stops there', async () => {
    const c = coll('unique')
    await c.createIndex({ email: 1 }, { unique: true })
    await c.insertOne({ email: 'dup@x' })
    const err = await c.insertOne({ email: 'dup@x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MongoServerError)
    expect((err as MongoServerError).code).toBe(11000)
    expect((err as MongoServerError).message).toContain('E11000 duplicate key error')
    expect<unknown>((err as MongoServerError).keyValue).toEqual({ email: 'dup@x' })
    const batch = await c
      .insertMany([{ email: 'n1' }, { email: 'dup@x' }, { email: 'n2' }])
      .catch((e: unknown) => e)
    expect(
      (batch as { insertedCount: number }).insertedCount ??
        (batch as { result: { insertedCount: number } }).result?.insertedCount,
    ).toBe(1)
    expect(await c.countDocuments()).toBe(2)
    const unordered = await c
      .insertMany([{ email: 'dup@x' }, { email: 'n3' }], { ordered: false })
      .catch((e: unknown) => e)
    expect(unordered).toBeInstanceOf(Error)
    expect(await c.countDocuments({ email: 'n3' })).toBe(1)
    // An update into a taken key is refused too.
    const upd = await c
      .updateOne({ email: 'n1' }, { $set: { email: 'dup@x' } })
      .catch((e: unknown) => e)
    expect((upd as MongoServerError).code).toBe(11000)
  })
})

describe('aggregation', () => {
  test('$match $sort $skip $limit $project $group $count $lookup $unwind', async () => {
    const posts = coll('posts')
    const authors = coll('authors')
    await authors.insertMany([
      { _id: 'ann' as never, name: 'Ann' },
      { _id: 'bob' as never, name: 'Bob' },
    ])
    await posts.insertMany([
      { author: 'ann', likes: 3, tags: ['x', 'y'] },
      { author: 'ann', likes: 5, tags: ['y'] },
      { author: 'bob', likes: 1, tags: [] },
    ])
    const grouped = await posts
      .aggregate([
        { $match: { likes: { $gte: 1 } } },
        { $group: { _id: '$author', total: { $sum: '$likes' } } },
        { $sort: { total: -1 } },
      ])
      .toArray()
    expect<unknown>(grouped).toEqual([
      { _id: 'ann', total: 8 },
      { _id: 'bob', total: 1 },
    ])
    const joined = await posts
      .aggregate([
        { $sort: { likes: -1 } },
        { $skip: 1 },
        { $limit: 1 },
        {
          $lookup: {
            from: authors.collectionName,
            localField: 'author',
            foreignField: '_id',
            as: 'who',
          },
        },
        { $unwind: '$who' },
        { $project: { _id: 0, likes: 1, name: '$who.name' } },
      ])
      .toArray()
    expect<unknown>(joined).toEqual([{ likes: 3, name: 'Ann' }])
    expect<unknown>(
      await posts.aggregate([{ $unwind: '$tags' }, { $count: 'n' }]).toArray(),
    ).toEqual([{ n: 3 }])
    expect<unknown>((await posts.distinct('tags')).sort()).toEqual(['x', 'y'])
  })
})

describe('collections and indexes', () => {
  test('create, list, drop collections and databases', async () => {
    const name = `made_${randomUUID().slice(0, 6)}`
    await db.createCollection(name)
    const dup = await db.createCollection(name).catch((e: unknown) => e)
    expect((dup as MongoServerError).code).toBe(48)
    expect(
      (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name),
    ).toContain(name)
    expect(await db.collection(name).drop()).toBe(true)
    expect((await db.listCollections({ name }).toArray()).length).toBe(0)
    const other = client.db(`contract_other_${randomUUID().slice(0, 6)}`)
    await other.collection('c').insertOne({ x: 1 })
    expect(
      (await client.db('admin').admin().listDatabases()).databases.map((d) => d.name),
    ).toContain(other.databaseName)
    await other.dropDatabase()
    expect(
      (await client.db('admin').admin().listDatabases()).databases.map((d) => d.name),
    ).not.toContain(other.databaseName)
  })

  test('list, create, conflict and drop indexes', async () => {
    const c = coll('indexes')
    await c.insertOne({ a: 1, b: 2 })
    expect(await c.createIndex({ a: 1, b: -1 })).toBe('a_1_b_-1')
    expect(await c.createIndex({ a: 1, b: -1 })).toBe('a_1_b_-1')
    expect<unknown>((await c.listIndexes().toArray()).map((i) => i.name)).toEqual([
      '_id_',
      'a_1_b_-1',
    ])
    const clash = await c.createIndex({ a: 1, b: -1 }, { unique: true }).catch((e: unknown) => e)
    expect(clash).toBeInstanceOf(MongoServerError)
    await c.dropIndex('a_1_b_-1')
    const missing = await c.dropIndex('nope').catch((e: unknown) => e)
    expect((missing as MongoServerError).code).toBe(27)
    await c.insertMany([{ u: 1 }, { u: 1 }])
    const cannotBuild = await c.createIndex({ u: 1 }, { unique: true }).catch((e: unknown) => e)
    expect((cannotBuild as MongoServerError).code).toBe(11000)
  })

  test('equality filters on an indexed field find the same documents as a scan, through updates and deletes', async () => {
    const c = coll<{ _id: number; [field: string]: unknown }>('indexed')
    const oid = new ObjectId()
    const day = new Date('2026-01-02T03:04:05Z')
    await c.insertMany([
      { _id: 1, k: 'a', flag: true },
      { _id: 2, k: ['a', 'b'] },
      { _id: 3, k: 7, flag: false },
      { _id: 4, k: oid },
      { _id: 5, k: day },
      { _id: 6, k: null },
      { _id: 7 },
      { _id: 8, k: { a: 1 } },
      { _id: 9, k: 'a' },
    ])
    await c.createIndex({ k: 1, other: -1 })
    await c.createIndex({ flag: 1 }, { sparse: true })
    const ids = async (filter: Document, sort: Document = { _id: 1 }) =>
      (await c.find(filter).sort(sort).toArray()).map((d) => d._id)
    expect(await ids({ k: 'a' })).toEqual([1, 2, 9])
    expect(await ids({ k: { $eq: 'b' } })).toEqual([2])
    expect(await ids({ k: 7 })).toEqual([3])
    expect(await ids({ k: oid })).toEqual([4])
    expect(await ids({ k: day })).toEqual([5])
    expect(await ids({ k: null })).toEqual([6, 7])
    expect(await ids({ k: { a: 1 } })).toEqual([8])
    expect(await ids({ k: 'a', _id: { $gt: 1 } })).toEqual([2, 9])
    expect(await ids({ flag: true })).toEqual([1])
    expect(await ids({ flag: false })).toEqual([3])
    expect(await ids({ k: 'zzz' })).toEqual([])

    await c.updateOne({ _id: 1 }, { $set: { k: 'b' }, $unset: { flag: '' } })
    await c.updateMany({ k: 'a' }, { $set: { seen: true } })
    expect(await ids({ k: 'a' })).toEqual([2, 9])
    expect(await ids({ k: 'b' })).toEqual([1, 2])
    expect(await ids({ flag: true })).toEqual([])
    expect(await ids({ seen: true })).toEqual([2, 9])
    expect(await c.countDocuments({ k: 'a' })).toBe(2)
    expect(
      await c
        .aggregate([{ $match: { k: 'b' } }, { $group: { _id: null, n: { $sum: 1 } } }])
        .toArray(),
    ).toEqual([{ _id: null, n: 2 }])
    expect((await c.findOne({ _id: 9 }))?.k).toBe('a')
    await c.deleteMany({ k: 'b' })
    expect(await ids({ k: 'a' })).toEqual([9])
    expect(await c.countDocuments({ k: 'b' })).toBe(0)
    await c.dropIndex('k_1_other_-1')
    expect(await ids({ k: 'a' })).toEqual([9])
  })
})

describe('cursors and errors', () => {
  test('closing a cursor early kills it; a later getMore gets CursorNotFound', async () => {
    const c = coll('kill')
    await c.insertMany(Array.from({ length: 30 }, (_, i) => ({ i })))
    const cursor = c.find({}, { batchSize: 5 })
    await cursor.next()
    const id = cursor.id!
    expect(id.toNumber()).toBeGreaterThan(0)
    await cursor.close()
    expect(commands).toContain('killCursors')
    const err = await db
      .command({ getMore: id, collection: c.collectionName })
      .catch((e: unknown) => e)
    expect((err as MongoServerError).code).toBe(43)
  })

  test('an unknown command answers CommandNotFound (59)', async () => {
    const err = await db.command({ definitelyNotACommand: 1 }).catch((e: unknown) => e)
    expect((err as MongoServerError).code).toBe(59)
    expect((err as MongoServerError).codeName).toBe('CommandNotFound')
  })

  test('a malformed message closes only that connection', async () => {
    const u = new URL(url)
    let closed = false
    const socket = await Bun.connect({
      hostname: u.hostname,
      port: Number(u.port || 27017),
      socket: {
        data() {},
        close: () => {
          closed = true
        },
      },
    })
    // OP_MSG header claiming a body section with a BSON document longer than the message.
    const bad = new Uint8Array(26)
    const v = new DataView(bad.buffer)
    v.setInt32(0, 26, true)
    v.setInt32(12, 2013, true)
    bad[20] = 0
    v.setInt32(21, 1000, true)
    socket.write(bad)
    const deadline = Date.now() + 5_000
    while (!closed && Date.now() < deadline) await Bun.sleep(20)
    expect(closed).toBe(true)
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 })
    if (server) expect(logs.some((l) => l.msg === 'closing connection')).toBe(true)
  })
})
