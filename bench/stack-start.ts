/**
 * `npm start` as a user meets it: `harness up` spawned, timed to the line
 * `gateway ready at …` (every service ready and passing in Consul). A first start
 * gets a new, empty data directory (a fresh clone: the PGlite databases are made
 * then); a later start reopens the same one. The PGlite template that
 * `npm install` prepares is in place, as after an install. Also prints, per
 * process, the CPU it used until ready (the start is CPU-bound on two cores).
 *
 * Usage: bun bench/stack-start.ts [--quick] [--json FILE]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { prepareTemplates } from '@civildiy/devstack'
import { fmt, markdownTable, type Summary, summarize } from '@civildiy/harness'
import { harnessUpEnv } from '@civildiy/harness/testing'
import { cpuSeconds } from './lib/process-usage.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
})
const runs = args.quick ? 1 : 5
const root = join(import.meta.dir, '..')
await prepareTemplates()

/** Ms from spawn to `gateway ready`, and CPU ms per process (from the stack table's pids). */
async function startOnce(dataDir: string): Promise<{ ms: number; cpuMs: Record<string, number> }> {
  const env = { ...(await harnessUpEnv(dataDir)), LOG_LEVEL: 'warn' }
  const t0 = performance.now()
  const proc = Bun.spawn([process.execPath, join(root, 'harness/src/cli.ts'), 'up'], {
    env,
    stdout: 'pipe',
    stderr: 'ignore',
  })
  let out = ''
  const decoder = new TextDecoder()
  const deadline = setTimeout(() => proc.kill('SIGKILL'), 120_000)
  try {
    for await (const chunk of proc.stdout) {
      out += decoder.decode(chunk, { stream: true })
      if (out.includes('gateway ready at ')) break
    }
    const ms = performance.now() - t0
    if (!out.includes('gateway ready at ')) throw new Error(`harness up did not start:\n${out}`)
    const cpuMs: Record<string, number> = {}
    for (const [, name, pid] of out.matchAll(/^\| ([a-z-]+)(?: \(embedded\))? \| (\d+) \|/gm))
      cpuMs[name!] = cpuSeconds(Number(pid)) * 1000
    return { ms, cpuMs }
  } finally {
    clearTimeout(deadline)
    proc.kill('SIGINT')
    await proc.exited
  }
}

const first: number[] = []
const later: number[] = []
const cpu: Record<string, number[]> = {}
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-stack-start-'))
  try {
    first.push((await startOnce(dataDir)).ms)
    const again = await startOnce(dataDir)
    later.push(again.ms)
    for (const [name, ms] of Object.entries(again.cpuMs)) {
      cpu[name] ??= []
      cpu[name].push(ms)
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
const results: Record<string, Summary> = {
  'first start (new data directory)': summarize(first),
  'later start (same data directory)': summarize(later),
}
const targets: Record<string, number> = {
  'first start (new data directory)': 3_000,
  'later start (same data directory)': 1_500,
}
const table = markdownTable(
  ['npm start (harness up), spawn to `gateway ready`', `median of ${runs}`, 'max', 'target'],
  Object.entries(results).map(([name, s]) => [
    name,
    `${fmt(s.p50)} ms`,
    `${fmt(s.max)} ms`,
    `<= ${fmt(targets[name]!)} ms: ${s.p50 <= targets[name]! ? 'met' : 'MISSED'}`,
  ]),
)
const cpuTable = markdownTable(
  ['process (later start)', 'CPU until ready (median)'],
  Object.entries(cpu).map(([name, ms]) => [name, `${fmt(summarize(ms).p50)} ms`]),
)
const totalCpu = Object.values(cpu).reduce((sum, ms) => sum + summarize(ms).p50, 0)
console.log(
  `\n## Stack start${args.quick ? ' (--quick)' : ''}\n\n${table}\n\nWhere a later start's CPU goes (${fmt(totalCpu)} ms in all, on 2 cores):\n\n${cpuTable}\n`,
)
const out = args.json ?? join(root, 'bench', 'results', 'stack-start.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), runs, first, later, cpu }, null, 2)}\n`,
)
console.log(`JSON: ${out}`)
