/**
 * The API contract, in process: each service's OpenAPI document (built from its
 * own app) and the gateway's merged one pass a real validator
 * (@readme/openapi-parser) with 0 errors; every route the app serves is in its
 * document and every documented operation is a route; an operation documented as
 * needing a token answers 401 without one. The same validator rejects what the
 * generator gives before normalization, so it is not a rubber stamp.
 */
import { expect, test } from 'bun:test'
import { UNDOCUMENTED } from '@civildiy/kit'
import { silentLogger } from '@civildiy/kit/testing'
import { toOpenAPISchema } from '@elysiajs/openapi'
import { validate } from '@readme/openapi-parser'
import { mergeDocuments } from '../../gateway/src/openapi/merge-documents.ts'
import defaultRoutes from '../../gateway/src/routes/default-routes.ts'
import { compileRoutes } from '../../gateway/src/routes/route-table.ts'
import { createApp as authApp } from '../auth/src/app.ts'
import { createApp as feedApp } from '../feed/src/app.ts'
import { createApp as notificationsApp } from '../notifications/src/app.ts'
import { createApp as postsApp } from '../posts/src/app.ts'
import { createApp as profileApp } from '../profile/src/app.ts'
import { createApp as searchApp } from '../search/src/app.ts'

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are free-form JSON.
type Json = any

// Route construction does not touch the stores: stubs are enough to list routes and answer 401s.
const stub = {} as never
const env = (name: string) => ({ logger: silentLogger(name), production: true })
const apps = {
  auth: authApp({ ...env('auth'), sql: stub, key: { jwks: { keys: [] } } as never, tokens: stub }),
  profile: profileApp({ ...env('profile'), sql: stub, verify: stub } as never),
  posts: postsApp({ ...env('posts'), posts: stub, comments: stub, verify: stub }),
  feed: feedApp({ ...env('feed'), store: stub, keys: stub, verify: stub } as never),
  search: searchApp({ ...env('search'), search: stub }),
  notifications: notificationsApp({
    ...env('notifications'),
    notifications: stub,
    live: stub,
    verify: stub,
  }),
}
const METHODS = ['get', 'put', 'post', 'patch', 'delete']

async function documentOf(app: (typeof apps)[keyof typeof apps]): Promise<Json> {
  const res = await app.handle(new Request('http://localhost/openapi/json'))
  expect(res.status).toBe(200)
  return res.json()
}

async function errorsOf(doc: Json): Promise<string[]> {
  const r = await validate(structuredClone(doc))
  return r.valid ? [] : r.errors.map((e) => e.message)
}

const operations = (doc: Json) =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
  )

for (const [name, app] of Object.entries(apps)) {
  test(`${name}: a valid OpenAPI 3.1 document that lists exactly the routes it serves`, async () => {
    const doc = await documentOf(app)
    expect(doc.openapi).toBe('3.1.0')
    expect(await errorsOf(doc)).toEqual([])
    const served = app.routes
      .filter((r) => !UNDOCUMENTED.includes(r.path) && METHODS.includes(r.method.toLowerCase()))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1')}`)
    expect(operations(doc).sort()).toEqual([...new Set(served)].sort())
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>))
      for (const m of METHODS.filter((x) => item[x])) {
        const op = item[m]
        expect(op.operationId).toBeString()
        expect(op.tags.length).toBeGreaterThan(0)
        expect(op.responses.default.content['application/problem+json']).toBeDefined()
        if (op.requestBody)
          expect(op.requestBody.content['application/json'].schema.examples).toBeArray()
        if (!op.security) continue
        // Documented as needing a token: without one, 401 (before any store is touched).
        const url = `http://localhost${path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')}`
        const example = op.requestBody?.content['application/json'].schema.examples[0]
        const res = await app.handle(
          new Request(url, {
            method: m.toUpperCase(),
            ...(example
              ? { body: JSON.stringify(example), headers: { 'content-type': 'application/json' } }
              : {}),
          }),
        )
        expect(`${m} ${path} ${res.status}`).toBe(`${m} ${path} 401`)
      }
  })
}

test('the validator is real: the generator’s own output is rejected', async () => {
  const raw = toOpenAPISchema(apps.posts, { paths: UNDOCUMENTED })
  const errors = await errorsOf({ openapi: '3.1.0', info: { title: 't', version: '1' }, ...raw })
  expect(errors.length).toBeGreaterThan(0)
})

test('the gateway’s merged document is valid, routes every service, and adds the gateway’s answers', async () => {
  const table = compileRoutes(defaultRoutes)
  const docs = new Map<string, Json>()
  for (const [name, app] of Object.entries(apps)) docs.set(name, await documentOf(app))
  const merged = mergeDocuments(table, docs, { title: 'CivilDIY API', version: '0.1.0' })
  expect(await errorsOf(merged)).toEqual([])
  for (const doc of docs.values())
    for (const op of operations(doc)) {
      // Internal operations (for the gateway or other services) are not routed, so not public.
      const [method, path] = op.split(' ')
      const internal = doc.paths[path!][method!.toLowerCase()].tags.includes('internal')
      expect({ op, public: operations(merged).includes(op) }).toEqual({ op, public: !internal })
    }
  const post = merged.paths['/posts'].post
  expect(Object.keys(post.responses)).toEqual(
    expect.arrayContaining(['401', '413', '429', '502', '503', '504']),
  )
  expect(post.security).toEqual([{ bearerAuth: [] }])
  // A public read keeps no token requirement and no write limit.
  const read = merged.paths['/feed/global'].get
  expect(read.security).toBeUndefined()
  expect(read.responses['429']).toBeUndefined()
  expect(merged.info.description).not.toContain('Not available')
})
