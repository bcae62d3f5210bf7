/** /metrics over a served app: the request histogram with bounded labels, process metrics, the format. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { baseApp, type RunningService } from '../service.ts'
import { serveForTest, silentLogger } from '../testing/index.ts'
import { createMetrics } from './metrics.ts'

let service: RunningService
const metrics = createMetrics('demo')

beforeAll(async () => {
  const app = baseApp({ name: 'demo', logger: silentLogger(), production: true, metrics }).get(
    '/things/:id',
    ({ params }) => ({ id: params.id }),
  )
  service = await serveForTest('demo', app)
})
afterAll(() => service?.stop())

test('every request is in http_server_request_duration_seconds by method, route template and status', async () => {
  for (const id of ['1', '2', '3']) await fetch(`${service.url}/things/${id}`)
  await fetch(`${service.url}/no/such/${crypto.randomUUID()}`)
  await fetch(`${service.url}/things/9`, { method: 'PROPFIND' })
  const res = await fetch(`${service.url}/metrics`)
  expect(res.headers.get('content-type')).toStartWith('text/plain')
  const text = await res.text()
  expect(text).toContain(
    'http_server_request_duration_seconds_count{service="demo",http_request_method="GET",http_route="/things/:id",http_response_status_code="200"} 3',
  )
  // A route template, never the raw path: clients cannot mint a series per URL or method.
  expect(text).toContain('http_route="unmatched",http_response_status_code="404"')
  expect(text).toContain('http_request_method="_OTHER"')
  expect(text).not.toContain('/no/such/')
  expect(text).toMatch(/process_cpu_seconds_total\{service="demo"\} \d/)
})
