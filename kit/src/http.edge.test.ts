/**
 * Bad input never reaches a 5xx or Bun's error page: hostile JSON, control
 * characters, database errors the input caused, a request without Host, and an
 * error handler that is given a request it cannot parse.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startPglite } from '@civildiy/devstack'
import { Elysia, t } from 'elysia'
import postgres from 'postgres'
import { baseApp, type RunningService } from './service.ts'
import { rawRequest, serveForTest, silentLogger } from './testing/index.ts'

let sql: ReturnType<typeof postgres>
let stopPg: () => Promise<void>
let service: RunningService

beforeAll(async () => {
  const pg = await startPglite({ port: 0 })
  stopPg = pg.stop
  sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  await sql`create table things (id uuid primary key, at timestamptz, name text unique)`
  const routes = new Elysia()
    .post('/echo', ({ body }) => body, {
      body: t.Object({ name: t.String() }, { additionalProperties: true }),
    })
    .get(
      '/things/:id',
      async ({ params }) => (await sql`select * from things where id = ${params.id}`)[0] ?? {},
    )
    .get('/since', async ({ query }) => sql`select * from things where at > ${query.at ?? ''}`)
    .post('/things', async ({ body }) => {
      const b = body as { name: string }
      await sql`insert into things (id, name) values (${Bun.randomUUIDv7()}, ${b.name})`
      return { ok: true }
    })
    .get('/throws', () => {
      throw new Error('secret internal detail at 10.0.0.9')
    })
  const app = baseApp({ name: 'edge', logger: silentLogger(), production: true }).use(routes)
  service = await serveForTest('edge', app, { NODE_ENV: 'development' })
})

afterAll(async () => {
  await service?.stop()
  await sql?.end()
  await stopPg?.()
})

const post = (path: string, body: string) =>
  fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return (await res.json()) as { code: string; detail: string; errors?: { field: string }[] }
}

describe('JSON bodies', () => {
  test('nested 10,000 deep is a 400, not a stack overflow', async () => {
    const res = await post('/echo', `${'['.repeat(10_000)}${']'.repeat(10_000)}`)
    expect(res.status).toBe(400)
    expect((await problem(res)).detail).toContain('nested deeper')
  })

  test('larger than the JSON limit is a 413', async () => {
    const res = await post('/echo', JSON.stringify({ name: 'x'.repeat(300 * 1024) }))
    expect(res.status).toBe(413)
    await problem(res)
  })

  test('a NUL or other control character in a text field is a 422 naming the field', async () => {
    const res = await post(
      '/echo',
      JSON.stringify({ name: 'a\u0000b', nested: { ok: 'tab\tand\nnewline', bad: '\u001b[31m' } }),
    )
    expect(res.status).toBe(422)
    expect((await problem(res)).errors?.map((e) => e.field)).toEqual(['/name', '/nested/bad'])
  })

  test('unparseable JSON is a 400', async () => {
    const res = await post('/echo', '{"name":')
    expect(res.status).toBe(400)
    await problem(res)
  })
})

describe('database errors the input caused', () => {
  test('a malformed uuid, an unstorable date and a duplicate are 4xx without the database text', async () => {
    const uuid = await fetch(`${service.url}/things/not-a-uuid`)
    expect(uuid.status).toBe(400)
    const date = await fetch(`${service.url}/since?at=99999-01-01`)
    expect(date.status).toBe(400)
    expect(JSON.stringify(await problem(date))).not.toContain('timestamp')
    expect((await post('/things', '{"name":"one"}')).status).toBe(200)
    const dup = await post('/things', '{"name":"one"}')
    expect(dup.status).toBe(409)
    expect(JSON.stringify(await problem(dup))).not.toContain('things_name_key')
  })
})

describe('what no handler expects', () => {
  test.each([
    ['GET /echo HTTP/1.0\r\n\r\n'],
    ['GET /echo HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n'],
  ])('%j is a 400 problem, not a 500', async (head) => {
    const res = await rawRequest(service.port, head)
    expect(res.status).toBe(400)
    expect(res.headers['content-type']).toBe('application/problem+json')
  })

  test('an unexpected error is a problem+json 500 without its message in production', async () => {
    const res = await fetch(`${service.url}/throws`)
    expect(res.status).toBe(500)
    expect(JSON.stringify(await problem(res))).not.toContain('10.0.0.9')
  })
})
