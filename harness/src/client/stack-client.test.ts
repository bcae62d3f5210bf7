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
