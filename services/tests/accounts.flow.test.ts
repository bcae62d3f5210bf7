/**
 * Account deletion as a saga, over real processes: every service against the
 * devstack (Kafka, Consul, MongoDB, a PGlite per Postgres service), every call
 * through the gateway. A user who followed, posted, commented and liked deletes
 * their account while the posts service is down: the other steps complete, the
 * posts step waits and is retried, and once posts is back the saga completes
 * with every store free of the user (queried directly), the user's tokens
 * refused, each erasure published once, and the email free to register again.
 * A deletion cancelled within its grace period leaves the account untouched.
 * And every privileged route, through the gateway, as each role: a table.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { consulClient, discoverService, parseEvent } from '@civildiy/kit'
import { readTopic } from '@civildiy/kit/testing'
import { MongoClient } from 'mongodb'
import postgres from 'postgres'
import { gatewayOf, type RunningStack, spawnService, startStack, until } from './stack-helpers.ts'

const BOOTSTRAP = 'account flow bootstrap token, 32+ characters'
let running: RunningStack
let gateway: string
const json = { 'content-type': 'application/json' }

beforeAll(async () => {
  running = await startStack(
    ['auth', 'profile', 'posts', 'feed', 'search', 'notifications', 'gateway'],
    {
      AUTH_DELETION_GRACE_SEC: '3600',
      DELETION_SAGA_POLL_MS: '100',
      AUTH_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP,
      // More sign-ups and logins from one address than the default 20 a minute.
      RATE_LIMIT_CREDENTIALS_PER_MIN: '1000',
    },
  )
  gateway = await gatewayOf(running)
}, 90_000)

afterAll(async () => {
  await running?.stop()
})

const call = (method: string, path: string, body?: unknown, token?: string) =>
  fetch(`${gateway}${path}`, {
    method,
    headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
const jsonOf = async <T>(res: Response | Promise<Response>) => (await (await res).json()) as T

/** Registers, waits for the profile, logs in. */
async function signUp(name: string) {
  const credentials = {
    email: `${name}-${crypto.randomUUID().slice(0, 6)}@example.com`,
    password: `${name} password 123`,
  }
  const { id } = await jsonOf<{ id: string }>(call('POST', '/auth/register', credentials))
  await until(
    () => call('GET', `/profiles/${id}`).then((r) => r.status),
    (s) => s === 200,
    20_000,
    'profile',
  )
  const { accessToken } = await jsonOf<{ accessToken: string }>(
    call('POST', '/auth/login', credentials),
  )
  return { id, token: accessToken, credentials }
}

type Deletion = {
  state: string
  statusUrl: string
  steps: { name: string; state: string; attempts: number; lastError: string | null }[]
}

test('deleted while posts is down: the other steps finish, posts catches up, nothing of the user is left', async () => {
  const ada = await signUp('ada')
  const bob = await signUp('bob')
  const word = `parsnip${crypto.randomUUID().slice(0, 6)}`
  expect((await call('PUT', `/profiles/${ada.id}/follow`, undefined, bob.token)).ok).toBe(true)
  expect((await call('PUT', `/profiles/${bob.id}/follow`, undefined, ada.token)).ok).toBe(true)
  const adaPost = await jsonOf<{ id: string }>(
    call('POST', '/posts', { body: `ada writes ${word}` }, ada.token),
  )
  const bobPost = await jsonOf<{ id: string }>(
    call('POST', '/posts', { body: 'bob writes' }, bob.token),
  )
  expect(
    (await call('POST', `/posts/${bobPost.id}/comments`, { body: 'hi bob' }, ada.token)).status,
  ).toBe(201)
  expect((await call('PUT', `/posts/${bobPost.id}/like`, undefined, ada.token)).ok).toBe(true)
  type Item = { id: string; authorId: string; commentCount: number; likeCount: number }
  const bobHome = () =>
    jsonOf<{ items: Item[] }>(call('GET', '/feed?limit=50', undefined, bob.token))
  await until(
    bobHome,
    (p) =>
      p.items.some((i) => i.id === adaPost.id) &&
      p.items.find((i) => i.id === bobPost.id)?.commentCount === 1,
    20_000,
    "ada's post and comment in bob's feed",
  )

  // posts goes down (deregistering), then ada deletes her account at once.
  running.procs.posts!.kill('SIGTERM')
  await running.procs.posts!.exited
  const consul = consulClient(running.stack.url('consul')!)
  await until(
    () =>
      discoverService(consul, 'posts').then(
        () => 'up',
        () => 'down',
      ),
    (s) => s === 'down',
    20_000,
    'posts gone from Consul',
  )
  const wrong = await call('DELETE', '/auth/me', { password: 'not her password' }, ada.token)
  expect(wrong.status).toBe(401)
  const asked = await call(
    'DELETE',
    '/auth/me',
    { password: ada.credentials.password, immediately: true },
    ada.token,
  )
  expect(asked.status).toBe(202)
  const { statusUrl } = (await asked.json()) as Deletion
  const status = () => jsonOf<Deletion>(call('GET', statusUrl))
  const waiting = await until(
    status,
    (d) =>
      d.steps.find((s) => s.name === 'posts')!.attempts >= 2 &&
      d.steps.filter((s) => s.state === 'done').length === 3,
    30_000,
    'every step but posts done',
  )
  expect(waiting.state).toBe('erasing')
  expect(waiting.steps.find((s) => s.name === 'posts')!.lastError).toBeString()
  // From the point of no return: her token is refused, her password too.
  expect(
    await until(
      () => call('GET', '/auth/me', undefined, ada.token).then((r) => r.status),
      (s) => s === 401,
      10_000,
      'the deny list',
    ),
  ).toBe(401)
  expect((await call('POST', '/auth/login', ada.credentials)).status).toBe(403)
  expect((await call('POST', '/auth/register', ada.credentials)).status).toBe(409)

  running.procs.posts = spawnService('posts', running.envFor('posts'))
  const done = await until(status, (d) => d.state === 'completed', 60_000, 'the saga to complete')
  expect(done.steps.map((s) => [s.name, s.state])).toEqual([
    ['profile', 'done'],
    ['posts', 'done'],
    ['notifications', 'done'],
    ['feed', 'done'],
    ['account', 'done'],
  ])
  // Done steps were never called again.
  expect(done.steps.find((s) => s.name === 'profile')!.attempts).toBe(1)

  // Every store, queried directly.
  const count = async (
    service: string,
    query: (sql: postgres.Sql) => PromiseLike<{ length: number }>,
  ) => {
    const sql = postgres(running.envFor(service).DATABASE_URL!, { max: 1, onnotice: () => {} })
    try {
      return (await query(sql)).length
    } finally {
      await sql.end()
    }
  }
  expect(await count('auth', (sql) => sql`select 1 from users where id = ${ada.id}`)).toBe(0)
  expect(
    await count('profile', (sql) => sql`select 1 from profiles where user_id = ${ada.id}`),
  ).toBe(0)
  expect(
    await count(
      'profile',
      (sql) => sql`select 1 from follows where follower_id = ${ada.id} or followee_id = ${ada.id}`,
    ),
  ).toBe(0)
  expect(
    await count(
      'notifications',
      (sql) => sql`select 1 from notifications where user_id = ${ada.id} or actor_id = ${ada.id}`,
    ),
  ).toBe(0)
  const mongo = await MongoClient.connect(running.stack.url('mongo')!)
  try {
    const db = mongo.db('posts')
    const left = async () => ({
      posts: await db.collection('posts').countDocuments({ authorId: ada.id, body: { $ne: '' } }),
      postDocs: await db.collection('posts').countDocuments({ authorId: ada.id }),
      comments: await db
        .collection('comments')
        .countDocuments({ authorId: ada.id, deletedAt: { $exists: false } }),
      likes: await db.collection('posts').countDocuments({ likedBy: ada.id }),
    })
    // Deleted documents go once their events are out (the relay).
    expect(await until(left, (l) => l.postDocs === 0, 20_000, 'the relay')).toEqual({
      posts: 0,
      postDocs: 0,
      comments: 0,
      likes: 0,
    })
  } finally {
    await mongo.close()
  }
  // The read models: no post of hers in bob's feed, her comment and like no longer counted, not searchable.
  const home = await until(
    bobHome,
    (p) =>
      !p.items.some((i) => i.authorId === ada.id) &&
      p.items.find((i) => i.id === bobPost.id)?.commentCount === 0 &&
      p.items.find((i) => i.id === bobPost.id)?.likeCount === 0,
    20_000,
    "bob's feed without ada",
  )
  expect(home.items.some((i) => i.authorId === ada.id)).toBe(false)
  const found = await until(
    () => jsonOf<{ items: unknown[] }>(call('GET', `/search?q=${word}`)),
    (r) => r.items.length === 0,
    20_000,
    'search without ada',
  )
  expect(found.items).toEqual([])
  // Each erasure published once: one post.deleted for her post.
  const brokers = [running.stack.url('kafka')!.replace('kafka://', '')]
  const deletes = (await readTopic(brokers, 'civildiy.posts', 100_000, 3_000))
    .map((m) => parseEvent(m.value))
    .filter(
      (e) => e.type === 'post.deleted' && (e.data as { postId: string }).postId === adaPost.id,
    )
  expect(deletes).toHaveLength(1)
  const userDeleted = (await readTopic(brokers, 'civildiy.users', 100_000, 3_000))
    .map((m) => parseEvent(m.value))
    .filter((e) => e.type === 'user.deleted')
  expect(userDeleted.map((e) => (e.data as { userId: string }).userId)).toEqual([ada.id])
  // The email is free again.
  expect((await call('POST', '/auth/register', ada.credentials)).status).toBe(201)
}, 180_000)

test('cancelled within the grace period, the account is untouched; a second request while one is open is 409', async () => {
  const cy = await signUp('cy')
  const post = await jsonOf<{ id: string }>(
    call('POST', '/posts', { body: 'still here' }, cy.token),
  )
  const asked = await jsonOf<Deletion>(
    call('DELETE', '/auth/me', { password: cy.credentials.password }, cy.token),
  )
  expect(asked.state).toBe('scheduled')
  expect(
    (await call('DELETE', '/auth/me', { password: cy.credentials.password }, cy.token)).status,
  ).toBe(409)
  // The email stays taken while the deletion is open.
  expect((await call('POST', '/auth/register', cy.credentials)).status).toBe(409)
  const cancelled = await jsonOf<Deletion>(call('DELETE', '/auth/me/deletion', undefined, cy.token))
  expect(cancelled.state).toBe('cancelled')
  expect(
    (await jsonOf<Deletion>(call('GET', '/auth/me/deletion', undefined, cy.token))).state,
  ).toBe('cancelled')
  expect((await call('POST', '/auth/login', cy.credentials)).status).toBe(200)
  expect((await call('GET', `/posts/${post.id}`)).status).toBe(200)
  expect((await call('GET', `/profiles/${cy.id}`)).status).toBe(200)
  expect((await call('DELETE', '/auth/me/deletion', undefined, cy.token)).status).toBe(404)
}, 60_000)

test('role × privileged route through the gateway → status', async () => {
  const refreshAs = async (credentials: { email: string; password: string }) => {
    const { refreshToken } = await jsonOf<{ refreshToken: string }>(
      call('POST', '/auth/login', credentials),
    )
    return (await jsonOf<{ accessToken: string }>(call('POST', '/auth/refresh', { refreshToken })))
      .accessToken
  }
  const admin = await signUp('root')
  expect(
    (await call('POST', '/auth/admin/bootstrap', { token: BOOTSTRAP }, admin.token)).status,
  ).toBe(200)
  const adminToken = await refreshAs(admin.credentials)
  const moderator = await signUp('mod')
  expect(
    (await call('PUT', `/auth/users/${moderator.id}/roles`, { roles: ['moderator'] }, adminToken))
      .status,
  ).toBe(200)
  const moderatorToken = await refreshAs(moderator.credentials)
  const user = await signUp('plain')
  const target = await signUp('target')
  // Not the target: suspending it puts its token on the deny list for a moment.
  const author = await signUp('writer')
  const routes = async (): Promise<[string, string, unknown][]> => {
    const post = await jsonOf<{ id: string }>(
      call('POST', '/posts', { body: 'moderate me' }, author.token),
    )
    const comment = await jsonOf<{ id: string }>(
      call('POST', `/posts/${post.id}/comments`, { body: 'me too' }, author.token),
    )
    const reason = { action: 'hide', reason: 'role table' }
    return [
      ['PUT', `/auth/users/${target.id}/roles`, { roles: [] }],
      ['PUT', `/auth/users/${target.id}/suspension`, { reason: 'role table' }],
      ['DELETE', `/auth/users/${target.id}/suspension`, undefined],
      ['GET', '/auth/audit', undefined],
      ['POST', `/posts/${post.id}/moderation`, reason],
      ['POST', `/posts/${post.id}/comments/${comment.id}/moderation`, reason],
    ]
  }
  const table: Record<string, number[]> = {}
  for (const [who, token] of [
    ['anonymous', undefined],
    ['user', user.token],
    ['moderator', moderatorToken],
    ['admin', adminToken],
  ] as const) {
    table[who] = []
    for (const [method, path, body] of await routes())
      table[who].push((await call(method, path, body, token)).status)
  }
  expect(table).toEqual({
    anonymous: [401, 401, 401, 401, 401, 401],
    user: [403, 403, 403, 403, 403, 403],
    moderator: [403, 403, 403, 403, 200, 200],
    admin: [200, 200, 204, 200, 200, 200],
  })
}, 60_000)
