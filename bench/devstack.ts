/**
 * Benchmarks the devstack:
 *  1. start-to-ready of `devstack` (spawned, as `npm start` runs it) per component
 *     and for the whole stack, in memory and reopening an existing data directory;
 *  2. start-to-ready of each component started in process;
 *  3. MongoDB stand-in round trips per second with the official driver
 *     (insertOne and findOne by _id; sequential, and 16 in flight).
 *
 * Usage: bun bench/devstack.ts [--quick] [--json FILE]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  spawnUntilReady,
  startConsul,
  startKafkaBroker,
  startMongo,
  startPglite,
} from '@civildiy/devstack'
import { fmt, markdownTable, type Summary, summarize } from '@civildiy/harness'
import { MongoClient, type ObjectId } from 'mongodb'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
})
const quick = Boolean(args.quick)
const root = join(import.meta.dir, '..')
const cli = join(root, 'devstack', 'src', 'cli.ts')
const runs = quick ? 5 : 20
const ports = ['--kafka-port', '0', '--mongo-port', '0', '--consul-port', '0', '--pg-port', '0']

async function spawnedStartup(extra: string[]): Promise<Record<string, Summary>> {
  const samples: Record<string, number[]> = {}
  const record = (name: string, ms: number) => {
    samples[name] = [...(samples[name] ?? []), ms]
  }
  for (let i = 0; i < runs; i++) {
    const { proc, readyMs, lines } = await spawnUntilReady(
      [process.execPath, cli, ...extra, ...ports],
      /^devstack ready/,
      60_000,
    )
    record('total', readyMs)
    for (const l of lines) {
      const m = /^(\w+)\s+\S+\s+(\d+) ms/.exec(l)
      if (m) record(m[1]!, Number(m[2]))
    }
    proc.kill('SIGTERM')
    await proc.exited
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]))
}

async function inProcessStartup(): Promise<Record<string, Summary>> {
  const starters: Record<string, () => Promise<{ stop(): Promise<void> }>> = {
    kafka: () => startKafkaBroker({ port: 0, log: () => {} }),
    mongo: () => startMongo({ port: 0, log: () => {} }),
    consul: () => startConsul({ port: 0 }),
    pg: () => startPglite({ port: 0 }),
  }
  const out: Record<string, Summary> = {}
  for (const [name, start] of Object.entries(starters)) {
    const samples: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const s = await start()
      samples.push(performance.now() - t0)
      await s.stop()
    }
    out[name] = summarize(samples)
  }
  return out
}

async function mongoRoundTrips(ops: number) {
  const { proc, lines } = await spawnUntilReady(
    [process.execPath, cli, '--in-memory', '--only', 'mongo', '--mongo-port', '0'],
    /^devstack ready/,
  )
  const url = /^mongo\s+(\S+)/.exec(lines.find((l) => l.startsWith('mongo'))!)![1]!
  const client = await MongoClient.connect(url, { maxPoolSize: 16 })
  const coll = client.db('bench').collection<{ _id?: ObjectId; n: number; body: string }>('docs')
  const body = 'x'.repeat(200)
  for (let i = 0; i < 200; i++) await coll.insertOne({ n: i, body })
  const ids: ObjectId[] = []
  const rate = async (fn: (i: number) => Promise<unknown>, concurrency: number) => {
    let next = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ops) await fn(next++)
      }),
    )
    return ops / ((performance.now() - t0) / 1000)
  }
  const insertSeq = await rate(
    async (i) => ids.push((await coll.insertOne({ n: i, body })).insertedId),
    1,
  )
  const findSeq = await rate((i) => coll.findOne({ _id: ids[i % ids.length]! }), 1)
  const insertPar = await rate((i) => coll.insertOne({ n: i, body }), 16)
  const findPar = await rate((i) => coll.findOne({ _id: ids[i % ids.length]! }), 16)
  await client.close()
  proc.kill('SIGTERM')
  await proc.exited
  return { ops, insertSeq, findSeq, insertPar, findPar }
}

const memory = await spawnedStartup(['--in-memory'])
const withoutPg = await spawnedStartup(['--in-memory', '--only', 'kafka,mongo,consul'])
const dataDir = mkdtempSync(join(tmpdir(), 'devstack-bench-'))
// The first start with a data directory runs initdb; measure restarts, as `npm start` sees them.
const { proc: init } = await spawnUntilReady(
  [process.execPath, cli, '--data-dir', dataDir, ...ports],
  /^devstack ready/,
  60_000,
)
init.kill('SIGTERM')
await init.exited
const reopened = await spawnedStartup(['--data-dir', dataDir])
rmSync(dataDir, { recursive: true, force: true })
const inProcess = await inProcessStartup()
const mongo = await mongoRoundTrips(quick ? 1_000 : 5_000)

const names = ['kafka', 'mongo', 'consul', 'pg', 'total']
const startupTable = markdownTable(
  [
    'component',
    'spawned, in memory (median)',
    'spawned, in memory, no pg (median)',
    'spawned, data dir reopened (median)',
    'in process (median)',
    'target',
  ],
  names.map((n) => [
    n === 'total' ? '**whole devstack**' : n,
    `${fmt(memory[n]!.p50)} ms`,
    withoutPg[n] ? `${fmt(withoutPg[n]!.p50)} ms` : '-',
    `${fmt(reopened[n]!.p50)} ms`,
    inProcess[n] ? `${fmt(inProcess[n]!.p50)} ms` : '-',
    n === 'total' ? '< 300 ms' : '-',
  ]),
)
const mongoTable = markdownTable(
  ['MongoDB stand-in, official driver', 'sequential (1 in flight)', '16 in flight'],
  [
    ['insertOne', `${fmt(mongo.insertSeq)} ops/s`, `${fmt(mongo.insertPar)} ops/s`],
    ['findOne by _id', `${fmt(mongo.findSeq)} ops/s`, `${fmt(mongo.findPar)} ops/s`],
  ],
)
console.log(
  `\n## devstack start-up${quick ? ' (--quick)' : ''} (${runs} runs each)\n\n${startupTable}\n\n## MongoDB round trips (${mongo.ops} ops each)\n\n${mongoTable}\n`,
)
const out = args.json ?? join(root, 'bench', 'results', 'devstack.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), quick, spawnedInMemory: memory, spawnedInMemoryWithoutPg: withoutPg, spawnedReopened: reopened, inProcess, mongo }, null, 2)}\n`,
)
console.log(`JSON: ${out}`)
