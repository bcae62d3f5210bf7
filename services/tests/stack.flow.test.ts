/**
 * auth, profile, posts, feed and the gateway as real processes against the
 * devstack's Kafka and Consul, every call through the gateway: a follow made
 * through profile and a post written through posts meet in the follower's home
 * feed (and its live stream); edits and deletes follow it there.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { consulClient, discoverService } from '@civildiy/kit'
import { type RunningStack, startStack, until } from './stack-helpers.ts'

let running: RunningStack

beforeAll(async () => {
  running = await startStack([
    'auth',
    'profile',
    'posts',
    'feed',
    'search',
    'notifications',
    'gateway',
  ])
}, 60_000)

afterAll(async () => {
  await running?.stop()
})

test('follow through profile + post through posts = an item in the follower’s home feed; edit and delete follow', async () => {
  const consul = consulClient(running.stack.url('consul')!)
  const [gateway] = await Promise.all(
    ['gateway', 'auth', 'profile', 'posts', 'feed'].map((s) =>
      until(() => discoverService(consul, s), Boolean, 30_000, `${s} passing in Consul`),
    ),
  )
  // The gateway watches Consul; wait until it routes to every service.
  await until(
    () => fetch(`${gateway}/gateway/health`).then((r) => r.json() as Promise<{ status: string }>),
    (h) => h.status === 'ok',
    20_000,
    'the gateway to see every service',
  )
  const url = { auth: gateway!, profile: gateway!, posts: gateway!, feed: gateway! }
  const json = { 'content-type': 'application/json' }
  const call = (method: string, u: string, token?: string, body?: unknown) =>
    fetch(u, {
      method,
      headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  const user = async (email: string) => {
    const { id } = (await (
      await call('POST', `${url.auth}/auth/register`, undefined, {
        email,
        password: 'stack password 1',
      })
    ).json()) as { id: string }
    const { accessToken } = (await (
      await call('POST', `${url.auth}/auth/login`, undefined, {
        email,
        password: 'stack password 1',
      })
    ).json()) as { accessToken: string }
    await until(
      () => fetch(`${url.profile}/profiles/${id}`),
      (r) => r.status === 200,
      20_000,
      `profile of ${email}`,
    )
    return { id, token: accessToken }
  }
  const writer = await user('writer@example.com')
  const reader = await user('reader@example.com')
  expect(
    (await call('PUT', `${url.profile}/profiles/${writer.id}/follow`, reader.token)).status,
  ).toBe(204)

  // The reader's live stream, opened before the post exists.
  const live = await fetch(`${url.feed}/feed/live`, {
    headers: { authorization: `Bearer ${reader.token}` },
  })
  expect(live.status).toBe(200)
  expect(live.headers.get('content-type')).toBe('text/event-stream')
  const liveEvents = live.body!.pipeThrough(new TextDecoderStream()).getReader()
  const unauthenticatedLive = await fetch(`${url.feed}/feed/live`)
  expect(unauthenticatedLive.status).toBe(401)

  const created = await call('POST', `${url.posts}/posts`, writer.token, {
    body: 'fresh from the write side',
  })
  expect(created.status).toBe(201)
  const post = (await created.json()) as { id: string }
  const home = () =>
    call('GET', `${url.feed}/feed`, reader.token).then(
      (r) => r.json() as Promise<{ items: { id: string; body: string }[] }>,
    )
  await until(
    home,
    (f) => f.items.some((i) => i.id === post.id),
    20_000,
    'the post in the reader’s home feed',
  )
  let streamed = ''
  while (!streamed.includes(`id: ${post.id}`)) {
    const { value, done } = await liveEvents.read()
    if (done) throw new Error(`live stream ended before the post; got: ${streamed}`)
    streamed += value
  }
  expect(streamed).toContain('event: post')
  await liveEvents.cancel()

  expect(
    (
      await call('PATCH', `${url.posts}/posts/${post.id}`, writer.token, {
        body: 'edited on the write side',
      })
    ).status,
  ).toBe(200)
  await until(
    home,
    (f) => f.items.find((i) => i.id === post.id)?.body === 'edited on the write side',
    20_000,
    'the edit in the feed',
  )

  expect((await call('DELETE', `${url.posts}/posts/${post.id}`, writer.token)).status).toBe(204)
  await until(home, (f) => !f.items.some((i) => i.id === post.id), 20_000, 'the delete in the feed')
  const global = (await (await call('GET', `${url.feed}/feed/global`)).json()) as {
    items: unknown[]
  }
  expect(global.items).toHaveLength(0)
}, 120_000)
