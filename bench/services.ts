/**
 * Start-up of the four services and the gateway, from source and as production
 * builds (`bun build --compile --bytecode`), measured from process spawn: to the
 * first 200 on /health/ready (dependencies reachable) and to passing in the
 * devstack Consul, next to a bare `Bun.serve` hello, an Elysia hello (from source
 * and built the same way: the framework's own floor) and a Fastify hello on Node.js
 * in the same run; plus each service's idle RSS and idle CPU once passing. Databases: a real
 * PostgreSQL when DATABASE_URL is set (a fresh database per service), else each
 * service's in-process PGlite (which dominates its start-up).
 *
 * Usage: bun bench/services.ts [--quick] [--json FILE]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startDevstack } from '@civildiy/devstack'
import { fmt, markdownTable, ratio, type Summary, summarize } from '@civildiy/harness'
import { createTestDatabase, type TestDatabase } from '@civildiy/kit/testing'
import { cpuSeconds, rssMiB } from './lib/process-usage.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
})
const runs = args.quick ? 3 : 20
const root = join(import.meta.dir, '..')
const stack = await startDevstack({
  only: ['kafka', 'consul', 'mongo'],
  kafka: { port: 0, log: () => {} },
  consul: { port: 0 },
  mongo: { port: 0 },
})
const consulUrl = stack.url('consul')!
const kafka = stack.url('kafka')!.replace('kafka://', '')
const dbKind = process.env.DATABASE_URL ? 'postgresql' : 'pglite'
const dataDir = mkdtempSync(join(tmpdir(), 'bench-services-'))

/** The production build: one self-contained executable with precompiled bytecode. */
function buildExecutable(entry: string, outfile: string): void {
  const build = Bun.spawnSync(
    [
      process.execPath,
      'build',
      '--compile',
      '--bytecode',
      '--minify',
      '--format=esm',
      entry,
      '--outfile',
      outfile,
    ],
    { stdout: 'ignore', stderr: 'inherit' },
  )
  if (build.exitCode !== 0) throw new Error(`bun build of ${entry} failed`)
}

async function poll(
  check: () => Promise<boolean>,
  timeoutMs: number,
  exitCode: () => number | null = () => null,
): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    const code = exitCode()
    if (code !== null) throw new Error(`the process exited (${code}) before it was ready`)
    if (performance.now() > deadline) throw new Error('timed out')
    await Bun.sleep(2)
  }
}

async function measure(
  cmd: string[],
  env: Record<string, string>,
  service: string | null,
  idleWindowMs = 0,
): Promise<{
  ready: number
  passing: number | null
  rssMiB: number | null
  idleCpuPercent: number | null
}> {
  const port = await freePort()
  const t0 = performance.now()
  const proc = Bun.spawn(cmd, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  try {
    let exited: number | null = null
    void proc.exited.then((code) => {
      exited = code
    })
    await poll(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/health/${service ? 'ready' : 'live'}`)).status ===
        200,
      30_000,
      () => exited,
    )
    const ready = performance.now() - t0
    if (!service) return { ready, passing: null, rssMiB: null, idleCpuPercent: null }
    await poll(async () => {
      const entries = (await (
        await fetch(`${consulUrl}/v1/health/service/${service}?passing`)
      ).json()) as { Service: { Port: number } }[]
      return entries.some((e) => e.Service.Port === port)
    }, 30_000)
    const passing = performance.now() - t0
    await Bun.sleep(200)
    const rss = rssMiB(proc.pid)
    let idleCpuPercent: number | null = null
    if (idleWindowMs > 0) {
      // Settled after start-up; the window includes Consul's readiness check every 2 s.
      await Bun.sleep(1_000)
      const before = cpuSeconds(proc.pid)
      await Bun.sleep(idleWindowMs)
      idleCpuPercent = ((cpuSeconds(proc.pid) - before) * 100_000) / idleWindowMs
    }
    return { ready, passing, rssMiB: rss, idleCpuPercent }
  } finally {
    proc.kill('SIGTERM')
    await proc.exited
  }
}

const results: Record<
  string,
  { ready: Summary; passing: Summary | null; rssMiB: number | null; idleCpuPercent: number | null }
> = {}
const elysiaHello = join(root, 'bench/fixtures/elysia-hello.ts')
buildExecutable(elysiaHello, join(dataDir, 'elysia-hello'))
const references: [string, string[]][] = [
  ['bare Bun.serve hello', [process.execPath, join(root, 'bench/fixtures/bun-hello.ts')]],
  ['Elysia hello, from source', [process.execPath, elysiaHello]],
  ['Elysia hello, production build', [join(dataDir, 'elysia-hello')]],
  ['Fastify hello on Node.js', ['node', join(root, 'bench/fixtures/fastify-hello.mjs')]],
]
for (const [label, cmd] of references) {
  const ready: number[] = []
  for (let i = 0; i < runs; i++) ready.push((await measure(cmd, {}, null)).ready)
  results[label] = { ready: summarize(ready), passing: null, rssMiB: null, idleCpuPercent: null }
}

const deployables = ['auth', 'profile', 'posts', 'feed', 'gateway']
const mainOf = (service: string) =>
  join(root, service === 'gateway' ? 'gateway' : `services/${service}`, 'src', 'main.ts')
const variants: { label: string; cmd: (service: string) => string[] }[] = [
  { label: 'from source', cmd: (service) => [process.execPath, mainOf(service)] },
  { label: 'production build', cmd: (service) => [join(dataDir, service)] },
]
for (const service of deployables) buildExecutable(mainOf(service), join(dataDir, service))
for (const service of deployables)
  for (const variant of variants) {
    const ready: number[] = []
    const passing: number[] = []
    let rss: number | null = null
    let idleCpu: number | null = null
    // Postgres services are given a database: a throwaway one on the real server, or
    // a PGlite server of their own (the services never start one themselves).
    const db: TestDatabase | null =
      service === 'auth' || service === 'profile' ? await createTestDatabase(dbKind) : null
    for (let i = 0; i < runs; i++) {
      const r = await measure(
        variant.cmd(service),
        {
          HOST: '127.0.0.1',
          ADVERTISE_ADDRESS: '127.0.0.1',
          CONSUL_HTTP_ADDR: consulUrl,
          KAFKA_BROKERS: kafka,
          MONGO_URL: stack.url('mongo')!,
          LOG_LEVEL: 'error',
          DATA_DIR: dataDir,
          AUTH_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json',
          DATABASE_URL: db?.url ?? '',
          REDIS_URL: '',
        },
        service,
        i === runs - 1 ? (args.quick ? 1_000 : 3_000) : 0,
      )
      ready.push(r.ready)
      passing.push(r.passing!)
      rss = r.rssMiB
      idleCpu = r.idleCpuPercent ?? idleCpu
    }
    await db?.drop()
    results[`${service}, ${variant.label}`] = {
      ready: summarize(ready),
      passing: summarize(passing),
      rssMiB: rss,
      idleCpuPercent: idleCpu,
    }
  }
await stack.stop()
rmSync(dataDir, { recursive: true, force: true })

const bare = results['bare Bun.serve hello']!.ready.p50
// The floor a service stands on: the same framework's hello, started the same way.
const elysiaFloor = (name: string) =>
  results[
    `Elysia hello, ${name.endsWith('production build') ? 'production build' : 'from source'}`
  ]!.ready.p50
const table = markdownTable(
  [
    'process',
    `spawn to ready: first 200 on /health/ready (median of ${runs})`,
    'p90',
    'ratio to bare Bun.serve',
    'ratio to the Elysia hello started the same way',
    'spawn to passing in Consul (median)',
    'idle RSS',
    'idle CPU (Consul checks included)',
    'target',
  ],
  Object.entries(results).map(([name, r]) => {
    const reference = r.passing === null
    const production = name.endsWith('production build')
    const limit = production ? 25 : 100
    const target = reference
      ? 'reference'
      : `<= ${limit} ms: ${r.ready.p50 <= limit ? 'met' : 'MISSED'}`
    return [
      reference || (name.split(',')[0] !== 'auth' && name.split(',')[0] !== 'profile')
        ? name
        : `${name} (${dbKind})`,
      `${fmt(r.ready.p50)} ms`,
      `${fmt(r.ready.p90)} ms`,
      `${fmt(ratio(r.ready.p50, bare))}x`,
      name.startsWith('bare') || name.startsWith('Fastify')
        ? '-'
        : `${fmt(ratio(r.ready.p50, elysiaFloor(name)))}x`,
      r.passing ? `${fmt(r.passing.p50)} ms` : '-',
      r.rssMiB === null ? '-' : `${fmt(r.rssMiB)} MiB`,
      r.idleCpuPercent === null ? '-' : `${fmt(r.idleCpuPercent)}% of a core`,
      target,
    ]
  }),
)
console.log(`\n## Service start-up${args.quick ? ' (--quick)' : ''}\n\n${table}\n`)
const out = args.json ?? join(root, 'bench', 'results', 'services.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), database: dbKind, runs, results }, null, 2)}\n`,
)
console.log(`JSON: ${out}`)
