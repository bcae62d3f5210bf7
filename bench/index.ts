/**
 * `npm run bench [-- --quick]`: runs every benchmark in turn, printing their
 * tables as they come; each also writes JSON under bench/results/. A full run
 * (no --quick) also rewrites BENCHMARKS.md with every table, the date, the
 * machine (cores, RAM, kernel, Bun version) and the command.
 */
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'

const benchmarks = [
  'kafka-broker.ts',
  'devstack.ts',
  'services.ts',
  'feed.ts',
  'feed-reads.ts',
  'gateway-overhead.ts',
  // The cost of tracing, against the run just above: every request sampled, and 10%.
  'gateway-overhead.ts --tracing',
  'gateway-overhead.ts --tracing --sample 0.1',
  'gateway.ts',
  'events.ts',
]
const passThrough = process.argv.slice(2)
const quick = passThrough.includes('--quick')
const started = performance.now()
let failed = false
const sections: string[] = []
for (const file of benchmarks) {
  const t0 = performance.now()
  const [script, ...own] = file.split(' ')
  const proc = Bun.spawn(
    [process.execPath, join(import.meta.dir, script!), ...own, ...passThrough],
    {
      stdout: 'pipe',
      stderr: 'inherit',
    },
  )
  let out = ''
  const decoder = new TextDecoder()
  for await (const chunk of proc.stdout) {
    const text = decoder.decode(chunk, { stream: true })
    out += text
    process.stdout.write(text)
  }
  const code = await proc.exited
  console.error(`bench: ${file} took ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  if (code !== 0) {
    console.error(`bench: ${file} failed`)
    failed = true
    sections.push(`## ${file}\n\nFailed in this run.`)
    continue
  }
  const tables = out
    .slice(Math.max(0, out.indexOf('## ')))
    .replace(/\nJSON: .*\n?$/m, '')
    .trim()
  sections.push(
    `${tables}\n\nCommand: \`bun bench/${file}${quick ? ' --quick' : ''}\` (JSON in \`bench/results/\`).`,
  )
}
const minutes = (performance.now() - started) / 60_000
console.log(`bench: ${benchmarks.length} benchmarks in ${minutes.toFixed(1)} min`)
if (!quick && !failed) {
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Bun ${Bun.version}`
  await Bun.write(
    join(import.meta.dir, '..', 'BENCHMARKS.md'),
    `# Benchmarks\n\nThe latest full run of \`npm run bench\` (${minutes.toFixed(1)} min), written by \`bench/index.ts\`; edit the benchmarks, not this file.\n\n- Date: ${new Date().toISOString()}\n- Machine: ${machine}\n- Load generators, servers and references share the machine's cores; compare rows within a table (ratios), not across machines.\n\n${sections.join('\n\n')}\n`,
  )
  console.log('bench: BENCHMARKS.md updated')
}
process.exit(failed ? 1 : 0)
