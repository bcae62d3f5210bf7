/**
 * The dashboard's pure parts: log lines parsed and queried, Prometheus text read,
 * windowed histogram quantiles as histogram_quantile computes them, the request
 * guard, the trace store's filters and bad-input answers, and the chart builders.
 */
import { expect, test } from 'bun:test'
import { cdfPlot, histogramPlot, ratePoints } from '../report/plot-spec.ts'
import { createTraceStore, handleOtlpRequest } from '../traces/otlp-receiver.ts'
import { refusal } from './harness-server.ts'
import { quantileOf, windowedHistogram } from './histogram-window.ts'
import { createLogBuffer, parseLogLine } from './log-buffer.ts'
import { parsePrometheusText } from './prometheus-text.ts'

const TRACE = 'a'.repeat(32)

test('pino lines become entries with level, request id and trace id; other lines stay text', () => {
  const e = parseLogLine(
    'feed',
    JSON.stringify({
      level: 'warn',
      time: '2026-12-02T07:00:00.000Z',
      msg: 'slow',
      requestId: 'r1',
      trace_id: TRACE,
      span_id: 'b',
      service: 'feed',
      ms: 12,
    }),
    1,
  )
  expect(e).toMatchObject({
    level: 'warn',
    msg: 'slow',
    requestId: 'r1',
    traceId: TRACE,
    fields: '{"ms":12}',
  })
  expect(e.time).toBe(Date.parse('2026-12-02T07:00:00.000Z'))
  expect(parseLogLine('kafka', '{not json', 2)).toMatchObject({ level: 'info', msg: '{not json' })
  expect(parseLogLine('x', 'Error: boom', 3).level).toBe('error')
})

test('the log buffer filters by process, level, ids and text, hides probes, and keeps its capacity', () => {
  const logs = createLogBuffer(5)
  const seen: number[] = []
  logs.subscribe((e) => seen.push(e.seq))
  logs.add('feed', JSON.stringify({ level: 'debug', msg: 'request', route: '/health/ready' }))
  logs.add(
    'feed-2',
    JSON.stringify({ level: 'info', msg: 'request', route: '/feed', trace_id: TRACE }),
  )
  logs.add('posts', JSON.stringify({ level: 'error', msg: 'mongo down', requestId: 'q' }))
  expect(logs.query().map((e) => e.process)).toEqual(['feed-2', 'posts'])
  expect(logs.query({ probes: true })).toHaveLength(3)
  expect(logs.query({ process: 'feed' }).map((e) => e.process)).toEqual(['feed-2'])
  expect(logs.query({ level: 'warn' }).map((e) => e.msg)).toEqual(['mongo down'])
  expect(logs.query({ traceId: TRACE })).toHaveLength(1)
  expect(logs.query({ requestId: 'q', text: 'MONGO' })).toHaveLength(1)
  for (let i = 0; i < 5; i++) logs.add('auth', `line ${i}`)
  expect(logs.query({ probes: true }).map((e) => e.msg)).toEqual([
    'line 0',
    'line 1',
    'line 2',
    'line 3',
    'line 4',
  ])
  expect(logs.query({ after: 6 }).map((e) => e.seq)).toEqual([7, 8])
  expect(seen).toHaveLength(8)
})

test('Prometheus text: samples with labels (escapes included), comments skipped', () => {
  const samples = parsePrometheusText(
    '# HELP x help\n# TYPE x counter\nx_total{a="1",b="q\\"uote"} 3\nh_bucket{le="+Inf"} 7\nup 1 1700000000000\n',
  )
  expect(samples).toEqual([
    { name: 'x_total', labels: { a: '1', b: 'q"uote' }, value: 3 },
    { name: 'h_bucket', labels: { le: '+Inf' }, value: 7 },
    { name: 'up', labels: {}, value: 1 },
  ])
})

test('quantiles over a window subtract the oldest reading, and a counter reset starts again', () => {
  const b = (entries: [number, number][]) => new Map(entries)
  expect(
    quantileOf(
      b([
        [0.1, 5],
        [1, 10],
        [Number.POSITIVE_INFINITY, 10],
      ]),
      0.5,
    ),
  ).toBeCloseTo(0.1)
  expect(
    quantileOf(
      b([
        [0.1, 0],
        [1, 10],
        [Number.POSITIVE_INFINITY, 10],
      ]),
      0.5,
    ),
  ).toBeCloseTo(0.55)
  expect(
    quantileOf(
      b([
        [1, 0],
        [Number.POSITIVE_INFINITY, 4],
      ]),
      0.9,
    ),
  ).toBe(1)
  expect(quantileOf(b([[Number.POSITIVE_INFINITY, 0]]), 0.5)).toBeNull()
  const w = windowedHistogram(10_000)
  expect(
    w.add(
      0,
      b([
        [0.1, 100],
        [1, 100],
        [Number.POSITIVE_INFINITY, 100],
      ]),
    ),
  ).toBe(true)
  expect(
    w.add(
      5_000,
      b([
        [0.1, 100],
        [1, 100],
        [Number.POSITIVE_INFINITY, 100],
      ]),
    ),
  ).toBe(false)
  // 20 slow observations after the window moved past the 100 fast ones.
  expect(
    w.add(
      20_000,
      b([
        [0.1, 100],
        [1, 120],
        [Number.POSITIVE_INFINITY, 120],
      ]),
    ),
  ).toBe(true)
  const q = w.quantiles([0.5])!
  expect(q.count).toBe(20)
  expect(q.values[0]!).toBeGreaterThan(0.1)
  expect(
    w.add(
      25_000,
      b([
        [0.1, 0],
        [1, 3],
        [Number.POSITIVE_INFINITY, 3],
      ]),
    ),
  ).toBe(true)
  expect(w.quantiles([0.5])!.count).toBe(3)
})

test('the guard: loopback or bound host only; browser actions only from the same origin, as JSON', () => {
  const req = (url: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    new Request(url, init)
  expect(
    refusal(
      req('http://127.0.0.1:1/_dev/api/topology', { headers: { host: '127.0.0.1:1' } }),
      '127.0.0.1',
    ),
  ).toBeNull()
  expect(
    refusal(
      req('http://127.0.0.1:1/_dev/api/topology', { headers: { host: 'evil.example:1' } }),
      '127.0.0.1',
    ),
  ).toContain('evil.example')
  const post = (headers: Record<string, string>) =>
    refusal(
      req('http://localhost:1/_dev/api/runs', {
        method: 'POST',
        headers: { host: 'localhost:1', ...headers },
      }),
      '127.0.0.1',
    )
  expect(post({})).toBeNull()
  expect(post({ origin: 'http://localhost:1', 'content-type': 'application/json' })).toBeNull()
  expect(post({ origin: 'http://evil.example', 'content-type': 'application/json' })).toContain(
    'Origin',
  )
  expect(
    post({ origin: 'http://localhost:1', 'content-type': 'application/x-www-form-urlencoded' }),
  ).toContain('JSON')
  // The services' OTLP exports carry no Origin.
  expect(
    refusal(
      req('http://127.0.0.1:1/v1/traces', { method: 'POST', headers: { host: '127.0.0.1:1' } }),
      '127.0.0.1',
    ),
  ).toBeNull()
})

function span(
  traceId: string,
  spanId: string,
  o: { parent?: string; kind?: number; ms: number; attrs?: Record<string, string | number> },
) {
  return {
    traceId,
    spanId,
    ...(o.parent ? { parentSpanId: o.parent } : {}),
    name: String(o.attrs?.['http.route'] ?? 'work'),
    kind: o.kind ?? 1,
    startTimeUnixNano: '1000000000000000000',
    endTimeUnixNano: String(1000000000000000000n + BigInt(o.ms * 1e6)),
    attributes: Object.entries(o.attrs ?? {}).map(([key, v]) => ({
      key,
      value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
    })),
  }
}
const exportOf = (service: string, spans: ReturnType<typeof span>[]) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ spans }],
    },
  ],
})

test('the trace store filters by service, route, status and duration, and records event flows', async () => {
  const store = createTraceStore()
  const ids: string[][] = []
  store.subscribe((t) => ids.push(t))
  const slow = '1'.repeat(32)
  const failed = '2'.repeat(32)
  store.ingest(
    exportOf('gateway', [
      span(slow, 'a1', {
        kind: 2,
        ms: 50,
        attrs: { 'http.route': '/posts', 'http.response.status_code': 201 },
      }),
      span(failed, 'b1', {
        kind: 2,
        ms: 5,
        attrs: { 'http.route': '/feed', 'http.response.status_code': 503 },
      }),
    ]),
  )
  store.ingest(
    exportOf('posts', [
      span(slow, 'a2', {
        parent: 'a1',
        kind: 4,
        ms: 3,
        attrs: { 'messaging.destination.name': 'civildiy.posts' },
      }),
    ]),
  )
  store.ingest(
    exportOf('feed', [
      span(slow, 'a3', {
        parent: 'a2',
        kind: 5,
        ms: 2,
        attrs: { 'messaging.destination.name': 'civildiy.posts' },
      }),
    ]),
  )
  expect(ids).toEqual([[slow, failed], [slow], [slow]])
  expect(store.traces({ service: 'feed' }).map((t) => t.traceId)).toEqual([slow])
  expect(store.traces({ route: '/feed' }).map((t) => t.traceId)).toEqual([failed])
  expect(store.traces({ status: 'error' }).map((t) => t.traceId)).toEqual([failed])
  expect(store.traces({ status: 'ok', minMs: 10 })[0]).toMatchObject({
    traceId: slow,
    status: 201,
    services: ['feed', 'gateway', 'posts'],
  })
  expect(store.flows()).toEqual([
    { from: 'posts', to: 'civildiy.posts' },
    { from: 'civildiy.posts', to: 'feed' },
  ])
  const post = (body: string, type = 'application/json') =>
    handleOtlpRequest(
      store,
      new Request('http://x/v1/traces', {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      }),
    )
  expect(
    (await post(
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"c","spanId":"d","startTimeUnixNano":"x"}]}]}]}',
    ))!.status,
  ).toBe(400)
  expect((await post('nope'))!.status).toBe(400)
  expect((await post('{}', 'application/x-protobuf'))!.status).toBe(415)
  expect(await handleOtlpRequest(store, new Request('http://x/elsewhere'))).toBeNull()
})

test('chart builders: histogram bins, CDF ranks, rates per second', () => {
  const h = histogramPlot('h', [1, 2, 3, 4, 100], 'ms', undefined, 10)
  expect((h.data[1] as number[]).reduce((a, b) => a + b, 0)).toBe(5)
  const c = cdfPlot('c', [3, 1, 2], 'ms')
  expect(c.data).toEqual([
    [1, 2, 3],
    [1 / 3, 2 / 3, 1],
  ])
  expect(ratePoints([0.1, 0.5, 2.2])).toEqual([
    [0, 2],
    [1, 0],
    [2, 1],
  ])
})
