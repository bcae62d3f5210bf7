import { afterAll, expect, test } from 'bun:test'
import { ApiError, stackClient } from './stack-client.ts'

let calls = 0
const fake = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req) {
    const path = new URL(req.url).pathname
    calls++
    if (path === '/auth/register' && calls === 1)
      return Response.json({ code: 'overloaded' }, { status: 503, headers: { 'retry-after': '1' } })
    if (path === '/auth/register') return Response.json({ id: 'u1' }, { status: 201 })
    return Response.json({ code: 'broken' }, { status: 503 })
  },
})
afterAll(() => fake.stop(true))

test('a 503 with Retry-After (load shed) is waited out; one without it is an error', async () => {
  const api = stackClient(`http://127.0.0.1:${fake.port}`)
  expect(await api.register('a@example.com', 'long password 1')).toBe('u1')
  expect(calls).toBe(2)
  const err = await api.me('token').catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ApiError)
  expect((err as ApiError).status).toBe(503)
})

test('signUp retries what the gateway gave up on, and takes a 409 after that as its own account', async () => {
  // The first register times out at the gateway but went through upstream; the
  // first login times out too.
  const seen: string[] = []
  const accounts = new Set<string>()
  let logins = 0
  const gateway = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname
      seen.push(path)
      if (path === '/auth/register') {
        const { email } = (await req.json()) as { email: string }
        if (accounts.has(email)) return Response.json({ code: 'conflict' }, { status: 409 })
        accounts.add(email)
        return Response.json({ code: 'upstream_timeout' }, { status: 504 })
      }
      if (path === '/auth/login')
        return ++logins === 1
          ? Response.json({ code: 'upstream_timeout' }, { status: 504 })
          : Response.json({ accessToken: 't', refreshToken: 'r', expiresIn: 900 })
      if (path === '/auth/me') return Response.json({ id: 'u9', email: 'b@example.com' })
      return new Response(null, { status: 404 })
    },
  })
  try {
    const gaveUp: number[] = []
    const api = stackClient(`http://127.0.0.1:${gateway.port}`, {
      onGaveUp: (err) => gaveUp.push(err.status),
    })
    const session = await api.signUp('b@example.com', 'long password 2')
    expect(session.userId).toBe('u9')
    expect(gaveUp).toEqual([504, 504])
    expect(seen).toEqual([
      '/auth/register',
      '/auth/register',
      '/auth/login',
      '/auth/login',
      '/auth/me',
    ])
    // A 409 on the first attempt is someone else's account: an error, not retried.
    const err = await api.signUp('b@example.com', 'long password 2').catch((e: unknown) => e)
    expect((err as ApiError).status).toBe(409)
  } finally {
    gateway.stop(true)
  }
})
