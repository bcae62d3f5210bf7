/**
 * Propagation timing against a small fake stack over HTTP: its feed shows each
 * post after a fixed delay, except the posts it is told to lose.
 */
import { afterAll, expect, test } from 'bun:test'
import { stackClient } from '../client/stack-client.ts'
import { renderCheck } from './check-command.ts'
import { measurePropagation } from './propagation.ts'

const DELAY_MS = 80
const posts: { id: string; body: string; createdAt: string; visibleAt: number }[] = []
const lose = new Set<string>()
const fake = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    const url = new URL(request.url)
    if (request.method === 'POST' && url.pathname === '/posts') {
      const { body } = (await request.json()) as { body: string }
      const id = crypto.randomUUID()
      const createdAt = new Date().toISOString()
      posts.push({ id, body, createdAt, visibleAt: performance.now() + DELAY_MS })
      return Response.json({ id, createdAt }, { status: 201 })
    }
    if (url.pathname === '/feed' || url.pathname === '/feed/global') {
      const now = performance.now()
      const items = posts
        .filter((p) => p.visibleAt <= now && !(lose.has(p.body) && url.pathname === '/feed'))
        .map((p) => ({ id: p.id, authorId: 'a', body: p.body, createdAt: p.createdAt }))
        .reverse()
      return Response.json({ items, nextCursor: null })
    }
    return new Response('not found', { status: 404 })
  },
})
afterAll(() => fake.stop(true))

test('each post is timed from its 201; posts never shown are reported lost by id', async () => {
  const api = stackClient(`http://127.0.0.1:${fake.port}`)
  const author = { userId: 'a', email: 'a@x', token: 't' }
  const watcher = { userId: 'w', email: 'w@x', token: 'w' }
  lose.add('post 3')
  const r = await measurePropagation(
    api,
    Array.from({ length: 5 }, (_, i) => ({ author, watcher, body: `post ${i}` })),
    { ratePerSec: 50, timeoutMs: 600 },
  )
  expect(r.sent).toBe(5)
  expect(r.global!.n).toBe(5)
  // Timed from the 201 the client saw (never before it): no bound on how long, so a
  // busy machine cannot fail this (timing targets live in bench/).
  expect(r.global!.min).toBeGreaterThanOrEqual(0)
  expect(r.timeline.every((t) => t.globalMs !== null && t.globalMs >= 0)).toBe(true)
  expect(r.home!.n).toBe(4)
  expect(r.lostGlobal).toEqual([])
  const lostId = posts.find((p) => p.body === 'post 3')!.id
  expect(r.lostHome).toEqual([lostId])
  // The timeline behind the report's charts: one point per accepted post.
  expect(r.timeline).toHaveLength(5)
  expect(r.timeline.filter((t) => t.globalMs !== null)).toHaveLength(5)
  expect(r.timeline.filter((t) => t.homeMs === null)).toHaveLength(1)

  const text = renderCheck({
    ok: false,
    gateway: 'g',
    consul: 'c',
    startedAt: '',
    steps: [
      { name: 'event propagation', ok: false, durationMs: 1, failures: [`post ${lostId} lost`] },
    ],
    propagation: r,
    targets: { propagationP99Ms: 1000, feedP99Ms: 250 },
  })
  expect(text).toContain('| event propagation | FAIL |')
  expect(text).toContain('| follower home feed | 4 | 1 |')
  expect(text).toEndWith('check FAILED')
})
