/**
 * The gateway's own CPU cost per proxied request, without the network: the
 * gateway's `handle()` runs in this process with `fetch` replaced by a stub that
 * answers at once, so what is left is routing, token lookup (a cached JWT),
 * policies, header building, balancing, timers and the promise chain. The
 * reference is a bare forward (the kit's request context and a stubbed `fetch` of
 * the client's headers), the part a bare `fetch` proxy also pays. Requests are
 * awaited one after another, so figures are µs of this thread per request.
 *
 * Steadier than wrk rounds on a shared machine (runs here agree within about 1 µs,
 * where end-to-end CPU per request moves by ±20%), so it is the tool for changes
 * to the hot path; run it against another checkout with `--checkout DIR` to compare.
 *
 * `--tracing` runs the same cases with OpenTelemetry tracing on (each request a
 * server span as the kit's runner makes it, the upstream call a client span,
 * spans batched and exported as OTLP/JSON to an in-process receiver): its rows,
 * against the run without it, are the cost of tracing at full sampling.
 *
 * Usage: bun bench/gateway-overhead.ts [--quick] [--tracing [--sample RATIO]] [--checkout DIR] [--json FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fmt, markdownTable } from '@civildiy/harness'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    checkout: { type: 'string' },
    json: { type: 'string' },
    tracing: { type: 'boolean' },
    sample: { type: 'string' },
  },
})
const root = join(import.meta.dir, '..')
const checkout = resolve(args.checkout ?? root)
const perRound = args.quick ? 20_000 : 100_000
const rounds = args.quick ? 3 : 7

const { createGateway } = await import(join(checkout, 'gateway/src/app.ts'))
const { createRetryBudget } = await import(join(checkout, 'gateway/src/proxy/retry-budget.ts'))
const { createSlidingWindowLimiter } = await import(
  join(checkout, 'gateway/src/rate-limit/sliding-window.ts')
)
const { compileRoutes } = await import(join(checkout, 'gateway/src/routes/route-table.ts'))
const { createBalancer } = await import(join(checkout, 'gateway/src/upstream/balancer.ts'))
const kit = await import(join(checkout, 'kit/src/index.ts'))
const { createTestIssuer, silentLogger } = await import(join(checkout, 'kit/src/testing/index.ts'))

const issuer = await createTestIssuer()
const token = await issuer.tokenFor(crypto.randomUUID())
const table = compileRoutes({
  routes: [
    { prefix: '/protected', service: 'hello', auth: 'required' },
    { prefix: '/public', service: 'hello', auth: 'none' },
  ],
  corsOrigins: ['https://app.example'],
})
const instances = [
  { id: 'hello-1', service: 'hello', address: '127.0.0.1', port: 9, url: 'http://127.0.0.1:9' },
]
const gateway = createGateway({
  table,
  directory: {
    instances: () => instances,
    onChange: () => {},
    status: () => ({ consul: { reachable: true, lastContactAgoMs: 0 }, services: {} }),
    ready: async () => true,
    close: () => {},
  },
  balancer: createBalancer(),
  budget: createRetryBudget(),
  verify: issuer.verify,
  limiter: createSlidingWindowLimiter(),
  logger: silentLogger(),
  production: true,
})

const request = (path: string, extra: Record<string, string> = {}) =>
  new Request(`http://127.0.0.1:8080${path}`, {
    headers: {
      host: '127.0.0.1:8080',
      'user-agent': 'bench',
      accept: '*/*',
      authorization: `Bearer ${token}`,
      ...extra,
    },
  })
const tracing = Boolean(args.tracing)
/** `--sample 0.1`: the share of requests traced (the compose default); default 1. */
const sampleRatio = args.sample === undefined ? 1 : Number(args.sample)
if (!(sampleRatio >= 0 && sampleRatio <= 1)) throw new Error('--sample takes a ratio 0..1')
/** What tracing runs, stopped at the end: a live receiver would keep the process from exiting. */
let stopTracing = async () => {}
if (tracing) {
  const { startOtlpReceiver } = await import('@civildiy/harness')
  const receiver = startOtlpReceiver()
  const sdk = await kit.startTracing('gateway', {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: sampleRatio,
  })
  stopTracing = async () => {
    await sdk?.shutdown()
    await receiver.stop()
  }
}
// The kit's runner wraps every request like this (kit/src/service.ts), in a server span when tracing.
const inContext = (r: Request, f: () => Promise<Response> | Response) =>
  kit.requestContext.run({ requestId: kit.requestIdOf(r), clientAddress: '127.0.0.1' }, () =>
    tracing ? kit.serverSpan(r, f) : f(),
  )

const cases: [string, () => Promise<Response> | Response][] = [
  [
    'bare forward (request context + fetch of the client headers)',
    () => {
      const r = request('/protected')
      return inContext(r, () => fetch('http://127.0.0.1:9/protected', { headers: r.headers }))
    },
  ],
  [
    'gateway, public route',
    () => {
      const r = request('/public')
      return inContext(r, () => gateway.handle(r))
    },
  ],
  [
    'gateway, protected route (JWT cache hit)',
    () => {
      const r = request('/protected')
      return inContext(r, () => gateway.handle(r))
    },
  ],
  [
    'gateway, protected route, CORS origin',
    () => {
      const r = request('/protected', { origin: 'https://app.example' })
      return inContext(r, () => gateway.handle(r))
    },
  ],
]

const realFetch = globalThis.fetch
try {
  globalThis.fetch = (async () =>
    new Response('hello', { headers: { 'content-type': 'text/plain' } })) as unknown as typeof fetch
  for (const [name, run] of cases) {
    const res = await run()
    if (res.status !== 200) throw new Error(`${name}: status ${res.status}, ${await res.text()}`)
  }
  const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    // Rounds alternate between cases so drift hits all alike.
    for (const [name, run] of cases) {
      const t0 = performance.now()
      for (let i = 0; i < perRound; i++) await run()
      samples.get(name)!.push(((performance.now() - t0) * 1000) / perRound)
    }
  }
  globalThis.fetch = realFetch
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  const bare = median(samples.get(cases[0]![0])!)
  const results = cases.map(([name]) => {
    const us = median(samples.get(name)!)
    return { name, usPerRequest: us, overUs: us - bare }
  })
  console.log(
    `\n## Gateway: in-process cost per request, fetch stubbed${tracing ? `, tracing on (${sampleRatio * 100}% of requests sampled, OTLP/JSON export)` : ''} (${rounds} rounds of ${perRound.toLocaleString('en-US')})\n\n${markdownTable(
      ['case', 'µs per request (median)', 'above the bare forward'],
      results.map((r) => [
        r.name,
        fmt(r.usPerRequest),
        r === results[0] ? '-' : `+${fmt(r.overUs)} µs`,
      ]),
    )}\n\nOne thread, requests awaited in turn; no sockets, so this is the gateway's JavaScript only (the end-to-end CPU per request is in the gateway benchmark).\n`,
  )
  const out =
    args.json ??
    join(
      root,
      'bench',
      'results',
      tracing ? `gateway-overhead-tracing-${sampleRatio}.json` : 'gateway-overhead.json',
    )
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), checkout, rounds, perRound, tracing, results }, null, 2)}\n`,
  )
  console.log(`JSON: ${out}`)
} finally {
  globalThis.fetch = realFetch
  await stopTracing()
}
