/**
 * Start-up of the services, from source and as production builds (`bun build
 * --compile --bytecode`), measured from process spawn: to the first 200 on
 * /health/ready (dependencies reachable) and to passing in the devstack Consul, next to a bare
 * `Bun.serve` hello in the same run. Databases: a real PostgreSQL when
 * DATABASE_URL is set (a fresh database per service), else each service's
 * in-process PGlite (which dominates its start-up).
 *
 * Usage: bun bench/services.ts [--quick] [--json FILE]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startDevstack } from '../devstack/src/index.ts'
import { fmt, markdownTable, type Summary, summarize } from '../harness/src/report/stats.ts'
import { createTestDatabase, type TestDatabase } from '../kit/src/testing/index.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
})
const runs = args.quick ? 5 : 20
const root = join(import.meta.dir, '..')
const stack = await startDevstack({
  only: ['kafka', 'consul'],
  kafka: { port: 0, log: () => {} },
  consul: { port: 0 },
})
const consulUrl = stack.url('consul')!
const kafka = stack.url('kafka')!.replace('kafka://', '')
const dbKind = process.env.DATABASE_URL ? 'postgresql' : 'pglite'
const dataDir = mkdtempSync(join(tmpdir(), 'bench-services-'))

async function poll(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error('timed out')
    await Bun.sleep(2)
  }
}

async function measure(
  cmd: string[],
  env: Record<string, string>,
  service: string | null,
): Promise<{ ready: number; passing: number | null }> {
  const port = await freePort()
  const t0 = performance.now()
  const proc = Bun.spawn(cmd, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  try {
    await poll(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/health/${service ? 'ready' : 'live'}`)).status ===
        200,
      30_000,
    )
    const ready = performance.now() - t0
    if (!service) return { ready, passing: null }
    await poll(async () => {
      const entries = (await (
        await fetch(`${consulUrl}/v1/health/service/${service}?passing`)
      ).json()) as { Service: { Port: number } }[]
      return entries.some((e) => e.Service.Port === port)
    }, 30_000)
    return { ready, passing: performance.now() - t0 }
  } finally {
    proc.kill('SIGTERM')
    await proc.exited
  }
}

const helloScript = join(dataDir, 'hello.ts')
writeFileSync(
  helloScript,
  "Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('ok') })\n",
)
const results: Record<string, { ready: Summary; passing: Summary | null }> = {}
const hello: number[] = []
for (let i = 0; i < runs; i++)
  hello.push((await measure([process.execPath, helloScript], {}, null)).ready)
results['bare Bun.serve hello'] = { ready: summarize(hello), passing: null }

const variants: { label: string; cmd: (service: string) => string[] }[] = [
  {
    label: 'from source',
    cmd: (service) => [process.execPath, join(root, 'services', service, 'src', 'main.ts')],
  },
  { label: 'production build', cmd: (service) => [join(dataDir, service)] },
]
for (const service of ['auth', 'profile']) {
  // The production build: one self-contained executable with precompiled bytecode.
  const build = Bun.spawnSync(
    [
      'bun',
      'build',
      '--compile',
      '--bytecode',
      '--minify',
      '--format=esm',
      join(root, 'services', service, 'src', 'main.ts'),
      '--outfile',
      join(dataDir, service),
    ],
    { stdout: 'ignore', stderr: 'inherit' },
  )
  if (build.exitCode !== 0) throw new Error(`bun build of ${service} failed`)
}
for (const service of ['auth', 'profile'])
  for (const variant of variants) {
    const ready: number[] = []
    const passing: number[] = []
    const db: TestDatabase | null =
      dbKind === 'postgresql' ? await createTestDatabase('postgresql') : null
    for (let i = 0; i < runs; i++) {
      const r = await measure(
        variant.cmd(service),
        {
          HOST: '127.0.0.1',
          ADVERTISE_ADDRESS: '127.0.0.1',
          CONSUL_HTTP_ADDR: consulUrl,
          KAFKA_BROKERS: kafka,
          LOG_LEVEL: 'error',
          DATA_DIR: dataDir,
          AUTH_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json',
          DATABASE_URL: db?.url ?? '',
        },
        service,
      )
      ready.push(r.ready)
      passing.push(r.passing!)
    }
    await db?.drop()
    results[`${service}, ${variant.label}`] = {
      ready: summarize(ready),
      passing: summarize(passing),
    }
  }
await stack.stop()
rmSync(dataDir, { recursive: true, force: true })

const table = markdownTable(
  [
    'process',
    `spawn to ready: first 200 on /health/ready (median of ${runs})`,
    'p90',
    'spawn to passing in Consul (median)',
    'targets',
  ],
  Object.entries(results).map(([name, r]) => [
    name === 'bare Bun.serve hello' ? name : `${name} (${dbKind})`,
    `${fmt(r.ready.p50)} ms`,
    `${fmt(r.ready.p90)} ms`,
    r.passing ? `${fmt(r.passing.p50)} ms` : '-',
    name === 'bare Bun.serve hello' ? 'reference' : 'ready < 100 ms, passing < 1 s',
  ]),
)
console.log(`\n## Service start-up${args.quick ? ' (--quick)' : ''}\n\n${table}\n`)
const out = args.json ?? join(root, 'bench', 'results', 'services.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), database: dbKind, runs, results }, null, 2)}\n`,
)
console.log(`JSON: ${out}`)
