/**
 * auth, profile, posts and feed as real processes against the devstack's Kafka
 * and Consul: a follow made through profile and a post written through posts meet
 * in the follower's home feed; edits and deletes follow it there.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { consulClient, discoverService } from '@civildiy/kit'
import { type RunningStack, startStack, until } from './stack-helpers.ts'

let running: RunningStack

beforeAll(async () => {
  running = await startStack(['auth', 'profile', 'posts', 'feed'])
}, 60_000)

afterAll(async () => {
  await running?.stop()
})

test('follow through profile + post through posts = an item in the follower’s home feed; edit and delete follow', async () => {
  const consul = consulClient(running.stack.url('consul')!)
  const url = Object.fromEntries(
    await Promise.all(
      ['auth', 'profile', 'posts', 'feed'].map(async (s) => [
        s,
        await until(() => discoverService(consul, s), Boolean, 30_000, `${s} passing in Consul`),
      ]),
    ),
  ) as Record<'auth' | 'profile' | 'posts' | 'feed', string>
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
