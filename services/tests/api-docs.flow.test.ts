/**
 * The API contract through a running gateway: its `/openapi.json` is valid and
 * holds the operations of every service; a request built from each
 * operation's documented example (ids and tokens filled in from a user and a post
 * made first) gets a documented 2xx status; and `/docs` renders every service's
 * operations in headless Chromium with every request to anywhere but the gateway
 * refused, so the page needs no network.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import {
  launchChromium,
  noChromiumReason,
  screenshotPath,
  watchedPage,
} from '@civildiy/harness/testing'
import { validate } from '@readme/openapi-parser'
import { gatewayOf, type RunningStack, startStack, until } from './stack-helpers.ts'

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are free-form JSON.
type Json = any

/** The flow's user becomes an admin with it first, so the admin and moderator operations answer 2xx. */
const BOOTSTRAP = 'api docs flow bootstrap token, 32+ characters'
let running: RunningStack
let gateway: string
let doc: Json

beforeAll(async () => {
  running = await startStack(
    ['auth', 'profile', 'posts', 'feed', 'search', 'notifications', 'gateway'],
    { AUTH_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP },
  )
  gateway = await gatewayOf(running)
  doc = await (await fetch(`${gateway}/openapi.json`)).json()
}, 90_000)

afterAll(async () => {
  await running?.stop()
})

const METHODS = ['get', 'put', 'post', 'patch', 'delete']

test('the gateway’s document is valid and holds every service’s operations', async () => {
  const r = await validate(structuredClone(doc))
  expect(r.valid ? [] : r.errors.map((e) => e.message)).toEqual([])
  for (const path of ['/auth/login', '/profiles/{id}', '/posts', '/feed/global', '/search'])
    expect(Object.keys(doc.paths)).toContain(path)
  expect(doc.info.description).not.toContain('Not available')
  // The gateway's own endpoints have a valid document too.
  const own: Json = await (await fetch(`${gateway}/openapi/json`)).json()
  const ownResult = await validate(structuredClone(own))
  expect(ownResult.valid ? [] : ownResult.errors.map((e) => e.message)).toEqual([])
  expect(Object.keys(own.paths)).toContain('/gateway/health')
})

test('a request built from each operation’s example gets a documented 2xx through the gateway', async () => {
  const json = { 'content-type': 'application/json' }
  const call = (method: string, path: string, body?: unknown, token?: string) =>
    fetch(`${gateway}${path}`, {
      method,
      headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  // Fixtures the examples cannot know: another user to follow, and a post.
  const other = (await (
    await call('POST', '/auth/register', {
      email: 'grace@example.com',
      password: 'another long password',
    })
  ).json()) as { id: string }
  await until(
    () => call('GET', `/profiles/${other.id}`).then((r) => r.status),
    (s) => s === 200,
    20_000,
    'profile',
  )

  const ops = Object.entries(doc.paths as Record<string, Json>)
    .flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] })),
    )
    // The live streams never end; they have their own tests.
    .filter((o) => o.path !== '/feed/live' && o.path !== '/notifications/live')
  // Sign-up before sign-in, creations before reads, deletions and logout last.
  const order: [(o: { path: string; method: string }) => boolean, number][] = [
    [(o) => o.path === '/auth/register', 0],
    [(o) => o.path === '/auth/login', 1],
    [(o) => o.path === '/auth/admin/bootstrap', 1.5],
    // Within its grace period a deletion changes nothing; it is cancelled with the deletes.
    [(o) => o.path === '/auth/me' && o.method === 'delete', 2.5],
    [(o) => o.path === '/auth/logout', 10],
    [(o) => o.path === '/posts/{id}' && o.method === 'delete', 9],
    [(o) => o.method === 'delete', 8],
    // A comment needs its post.
    [(o) => o.path === '/posts/{id}/comments' && o.method === 'post', 3],
    [(o) => o.method === 'post', 2],
  ]
  const rank = (o: { path: string; method: string }) => order.find(([is]) => is(o))?.[1] ?? 5
  ops.sort((a, b) => rank(a) - rank(b))

  const state: {
    token?: string
    refreshToken?: string
    userId?: string
    postId?: string
    commentId?: string
    deletionId?: string
  } = {}
  const results: string[] = []
  const throwaway = async () => {
    const post = (await (
      await call('POST', '/posts', { body: 'to moderate' }, state.token)
    ).json()) as { id: string }
    const comment = (await (
      await call('POST', `/posts/${post.id}/comments`, { body: 'to moderate' }, state.token)
    ).json()) as { id: string }
    return { postId: post.id, commentId: comment.id }
  }
  for (const { path, method, op } of ops) {
    let body = op.requestBody?.content['application/json'].schema.examples?.[0]
    if (body && 'refreshToken' in body) body = { refreshToken: state.refreshToken }
    if (path === '/auth/admin/bootstrap') body = { token: BOOTSTRAP }
    // Moderation hides what it touches: it gets a post and comment of its own.
    const moderated = path.endsWith('/moderation') ? await throwaway() : null
    const id = moderated
      ? moderated.postId
      : path.startsWith('/posts')
        ? state.postId
        : path.startsWith('/profiles') || path.startsWith('/auth/users')
          ? other.id
          : path.startsWith('/auth/deletions')
            ? state.deletionId
            : state.userId
    // Required query parameters from their documented examples (e.g. /search?q=).
    const query = ((op.parameters ?? []) as Json[])
      .filter((p) => p.in === 'query' && p.required)
      .map((p) => `${p.name}=${encodeURIComponent(p.schema?.examples?.[0] ?? p.example ?? '')}`)
      .join('&')
    const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) =>
      name === 'commentId'
        ? (moderated?.commentId ?? state.commentId ?? 'missing')
        : (id ?? 'missing'),
    )
    const url = `${filled}${query ? `?${query}` : ''}`
    const res = await call(method.toUpperCase(), url, body, op.security ? state.token : undefined)
    const answer: Json = res.status === 204 ? null : await res.json().catch(() => null)
    if (path === '/auth/register') state.userId = (answer as { id: string }).id
    if (path === '/auth/login' || path === '/auth/refresh')
      Object.assign(state, { token: answer.accessToken, refreshToken: answer.refreshToken })
    if (path === '/auth/admin/bootstrap' && res.ok) {
      // The admin role is in tokens from the next refresh.
      const refreshed = (await (
        await call('POST', '/auth/refresh', { refreshToken: state.refreshToken })
      ).json()) as { accessToken: string; refreshToken: string }
      Object.assign(state, { token: refreshed.accessToken, refreshToken: refreshed.refreshToken })
    }
    if (path === '/posts' && method === 'post') state.postId = answer.id
    if (path === '/auth/me' && method === 'delete') state.deletionId = answer.id
    if (path === '/posts/{id}/comments' && method === 'post') state.commentId = answer.id
    const documented = Object.keys(op.responses).includes(String(res.status))
    results.push(
      `${method.toUpperCase()} ${path} ${res.status}${documented && res.status < 300 ? '' : ' NOT DOCUMENTED 2xx'}`,
    )
  }
  expect(results.filter((r) => r.includes('NOT'))).toEqual([])
  expect(results.length).toBeGreaterThanOrEqual(20)
}, 60_000)

const skip = noChromiumReason()
if (skip) console.log(`SKIPPED: the docs page in Chromium: ${skip}`)

test.skipIf(Boolean(skip))(
  '/docs shows every service’s operations with no request beyond the gateway',
  async () => {
    const browser = await launchChromium()
    try {
      const { page, errors } = await watchedPage(browser)
      const origin = new URL(gateway).origin
      const refused: string[] = []
      await page.route('**/*', (route) => {
        const url = route.request().url()
        if (new URL(url).origin === origin) return route.continue()
        refused.push(url)
        return route.abort()
      })
      await page.goto(`${gateway}/docs`)
      await page.waitForSelector('.opblock', { timeout: 20_000 })
      const paths = await page.$$eval('.opblock-summary-path', (els) =>
        els.map((e) => e.getAttribute('data-path') ?? e.textContent ?? ''),
      )
      for (const p of ['/auth/login', '/profiles/{id}', '/posts', '/feed/global', '/search'])
        expect(paths).toContain(p)
      await page.screenshot({ path: screenshotPath('gateway-docs.png') })
      expect(refused).toEqual([])
      expect(errors).toEqual([])
    } finally {
      await browser.close()
    }
  },
  60_000,
)
