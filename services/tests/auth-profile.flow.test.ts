/**
 * auth and profile as real processes (`bun src/main.ts`) against the devstack's
 * Kafka and Consul: registration in Consul, user.registered reaching profile
 * through Kafka, JWKS found through Consul, deregistration on SIGTERM.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { consulClient, discoverService } from '@civildiy/kit'
import { type RunningStack, startStack, until } from './stack-helpers.ts'

let running: RunningStack

beforeAll(async () => {
  running = await startStack(['auth', 'profile'])
}, 60_000)

afterAll(async () => {
  await running?.stop()
})

test('register through auth, profile appears from the event, follow with an auth-issued token; SIGTERM deregisters', async () => {
  const consul = consulClient(running.stack.url('consul')!)
  const auth = await until(
    () => discoverService(consul, 'auth'),
    Boolean,
    30_000,
    'auth to be passing in Consul',
  )
  const profile = await until(
    () => discoverService(consul, 'profile'),
    Boolean,
    30_000,
    'profile to be passing in Consul',
  )

  const post = (url: string, body: unknown, token?: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    })
  const register = async (email: string) => {
    const res = await post(`${auth}/auth/register`, { email, password: 'flow password 123' })
    expect(res.status).toBe(201)
    const user = (await res.json()) as { id: string }
    const tokens = (await (
      await post(`${auth}/auth/login`, { email, password: 'flow password 123' })
    ).json()) as { accessToken: string }
    return { id: user.id, token: tokens.accessToken }
  }
  const ada = await register('ada@example.com')
  const lin = await register('lin@example.com')

  // Created by the profile service's consumer from user.registered, through the outbox and Kafka.
  const adaProfile = await until(
    () => fetch(`${profile}/profiles/${ada.id}`),
    (r) => r.status === 200,
    20_000,
    "ada's profile",
  )
  // The default display name never reveals the email address.
  expect(((await adaProfile.json()) as { displayName: string }).displayName).toBe(
    `user-${ada.id.replaceAll('-', '').slice(-8)}`,
  )
  await until(
    () => fetch(`${profile}/profiles/${lin.id}`),
    (r) => r.status === 200,
    20_000,
    "lin's profile",
  )

  // The profile service verifies auth's tokens with the JWKS it found through Consul.
  const follow = await fetch(`${profile}/profiles/${lin.id}/follow`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ada.token}` },
  })
  expect(follow.status).toBe(204)
  const followers = (await (await fetch(`${profile}/profiles/${lin.id}/followers`)).json()) as {
    items: { userId: string }[]
  }
  expect(followers.items.map((i) => i.userId)).toEqual([ada.id])
  const forged = await fetch(`${profile}/profiles/${lin.id}/follow`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ada.token.slice(0, -4)}AAAA` },
  })
  expect(forged.status).toBe(401)

  running.procs.auth!.kill('SIGTERM')
  expect(await running.procs.auth!.exited).toBe(0)
  const services = (await consul.agent.service.list()) as Record<string, { Service: string }>
  expect(Object.values(services).map((s) => s.Service)).toEqual(['profile'])
}, 90_000)
