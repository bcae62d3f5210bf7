import { expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { Elysia, t } from 'elysia'
import { ConflictError } from './errors.ts'
import { createLogger } from './logger.ts'
import { baseApp } from './service.ts'

function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l))
      done()
    },
  })
  return { lines, logger: createLogger({ service: 'test', destination, level }) }
}

test('one access-log line per request, with method, route, status, duration and request id', async () => {
  const { lines, logger } = capture()
  const feature = new Elysia().get('/things/:id', ({ params }) => ({ id: params.id }))
  const app = baseApp({ name: 'test', logger, production: true }).use(feature)
  const res = await app.handle(
    new Request('http://localhost/things/7', { headers: { 'x-request-id': 'abc-123' } }),
  )
  expect(res.headers.get('x-request-id')).toBe('abc-123')
  await Bun.sleep(20)
  const access = lines.filter((l) => l.msg === 'request')
  expect(access).toHaveLength(1)
  expect(access[0]).toMatchObject({
    method: 'GET',
    route: '/things/:id',
    status: 200,
    requestId: 'abc-123',
    service: 'test',
  })
  expect(typeof access[0]!.durationMs).toBe('number')
  // Successful requests (and probes) at debug, client errors at info.
  expect(access[0]!.level).toBe('debug')
  await app.handle(new Request('http://localhost/nothing-here'))
  await Bun.sleep(20)
  expect(lines.filter((l) => l.msg === 'request').at(-1)).toMatchObject({
    status: 404,
    level: 'info',
  })
})

test('at info, successful requests write no access line and client errors still do', async () => {
  const { lines, logger } = capture('info')
  const app = baseApp({ name: 'test', logger, production: true }).get('/ok', () => 'ok')
  expect((await app.handle(new Request('http://localhost/ok'))).status).toBe(200)
  expect((await app.handle(new Request('http://localhost/missing'))).status).toBe(404)
  await Bun.sleep(20)
  expect(lines.filter((l) => l.msg === 'request').map((l) => l.status)).toEqual([404])
})

test('domain errors and validation failures become problem+json; a bad request id is replaced', async () => {
  const { logger } = capture()
  const app = baseApp({ name: 'test', logger, production: true })
    .post('/x', () => {
      throw new ConflictError('already there', 'duplicate')
    })
    .post('/y', ({ body }) => body, { body: t.Object({ n: t.Integer({ minimum: 1 }) }) })
  const conflict = await app.handle(
    new Request('http://localhost/x', {
      method: 'POST',
      headers: { 'x-request-id': 'bad id with spaces' },
    }),
  )
  expect(conflict.status).toBe(409)
  expect(conflict.headers.get('content-type')).toBe('application/problem+json')
  const body = (await conflict.json()) as {
    code: string
    requestId: string
    type: string
    instance: string
  }
  expect(body).toMatchObject({ code: 'duplicate', instance: '/x' })
  expect(body.requestId).not.toBe('bad id with spaces')
  const invalid = await app.handle(
    new Request('http://localhost/y', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":0}',
    }),
  )
  expect(invalid.status).toBe(422)
  expect(((await invalid.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('/n')
})
