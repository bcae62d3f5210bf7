/**
 * The MongoDB stand-in with users, through the official driver's own auth path
 * (SCRAM-SHA-256): the right password works on the user's database only, a wrong
 * one and SCRAM-SHA-1 are refused, and a connection without credentials can run
 * nothing but the handshake commands.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MongoClient, type MongoServerError } from 'mongodb'
import { type MongoServer, startMongo } from './server.ts'

let server: MongoServer
const clients: MongoClient[] = []
const hostPort = () => server.url.replace('mongodb://', '')

beforeAll(async () => {
  server = await startMongo({
    port: 0,
    log: () => {},
    users: {
      posts: { password: 'posts-secret', authDb: 'posts', databases: ['posts'] },
      root: { password: 'root-secret', databases: '*' },
    },
  })
})
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {})
  await server.stop()
})

const connect = async (url: string) => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000 })
  clients.push(client)
  await client.connect()
  return client
}
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: MongoServerError) => ({ code: e.code, message: e.message }),
  )

describe('MongoDB stand-in with SCRAM-SHA-256 users', () => {
  test("the posts user reads and writes its database, and nothing else's", async () => {
    const client = await connect(
      `mongodb://posts:posts-secret@${hostPort()}/posts?authSource=posts`,
    )
    await client
      .db('posts')
      .collection('posts')
      .insertOne({ _id: 'p1' as never, text: 'hi' })
    expect(await client.db('posts').collection('posts').countDocuments()).toBe(1)
    const denied = await errorOf(client.db('auth').collection('users').findOne({}))
    expect(denied).toEqual({
      code: 13,
      message: 'not authorized on auth to execute command { find: ... }',
    })
    const names = (await client.db('admin').admin().listDatabases()).databases.map((d) => d.name)
    expect(names).toEqual(['posts'])
    const status = await client.db('posts').command({ connectionStatus: 1 })
    expect(status.authInfo.authenticatedUsers).toEqual([{ user: 'posts', db: 'posts' }])
  })

  test('a root user sees every database', async () => {
    const client = await connect(`mongodb://root:root-secret@${hostPort()}/`)
    await client.db('auth').collection('x').insertOne({ a: 1 })
    const names = (await client.db('admin').admin().listDatabases()).databases.map((d) => d.name)
    expect(names).toEqual(['auth', 'posts'])
  })

  test.each([
    ['a wrong password', 'posts:guess', 'authSource=posts'],
    ['an unknown user', 'ghost:posts-secret', 'authSource=posts'],
    ['the right password in another authSource', 'posts:posts-secret', 'authSource=admin'],
  ])('%s is refused with AuthenticationFailed', async (_, login, query) => {
    const failure = await errorOf(connect(`mongodb://${login}@${hostPort()}/posts?${query}`))
    expect(failure).toEqual({ code: 18, message: 'Authentication failed.' })
  })

  test('SCRAM-SHA-1 is not offered', async () => {
    const failure = await errorOf(
      connect(
        `mongodb://posts:posts-secret@${hostPort()}/posts?authSource=posts&authMechanism=SCRAM-SHA-1`,
      ),
    )
    expect(failure?.code).toBe(334)
  })

  test('without credentials only the handshake commands answer', async () => {
    const client = await connect(`mongodb://${hostPort()}/`)
    expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1)
    expect(await errorOf(client.db('posts').collection('posts').findOne({}))).toEqual({
      code: 13,
      message: 'Command find requires authentication',
    })
  })
})
