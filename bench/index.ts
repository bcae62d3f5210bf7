/**
 * `npm run bench [-- --quick] [--html FILE]`: runs every benchmark in turn,
 * printing their tables as they come; each also writes JSON under bench/results/.
 * Then writes one HTML report (default bench/results/bench.html) with every
 * table and the charts a benchmark puts in its JSON as `figures` (PlotSpec[]:
 * latency histograms and CDFs against their targets). A full run (no --quick)
 * also rewrites BENCHMARKS.md with every table, the date, the machine (cores,
 * RAM, kernel, Bun version) and the command.
 */
import { cpus, release, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { htmlReport, type PlotSpec, type ReportSection } from '@civildiy/harness'

const benchmarks = [
  'kafka-broker.ts',
  'devstack.ts',
  'services.ts',
  'stack-start.ts',
  'feed.ts',
  'feed-fanout.ts',
  'feed-reads.ts',
  'feed-read-mix.ts',
  'feed-page-cost.ts',
  'gateway-overhead.ts',
  // The cost of tracing, against the run just above: every request sampled, and 10%.
  'gateway-overhead.ts --tracing',
  'gateway-overhead.ts --tracing --sample 0.1',
  'gateway.ts',
  'events.ts',
]
const argv = process.argv.slice(2)
const htmlAt = argv.indexOf('--html')
const htmlFile = resolve(
  htmlAt >= 0 && argv[htmlAt + 1]
    ? argv[htmlAt + 1]!
    : join(import.meta.dir, 'results', 'bench.html'),
)
const passThrough = htmlAt >= 0 ? argv.toSpliced(htmlAt, 2) : argv
const quick = passThrough.includes('--quick')
const page: ReportSection[] = []
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
    page.push({ heading: file, ok: false, text: ['Failed in this run.'] })
    continue
  }
  page.push(await reportSection(file, out))
  const tables = out
    .slice(Math.max(0, out.indexOf('## ')))
    .replace(/\nJSON: .*\n?$/m, '')
    .trim()
  sections.push(
    `${tables}\n\nCommand: \`npx bun bench/${file}${quick ? ' --quick' : ''}\` (JSON in \`bench/results/\`).`,
  )
}
const minutes = (performance.now() - started) / 60_000
console.log(`bench: ${benchmarks.length} benchmarks in ${minutes.toFixed(1)} min`)
await Bun.write(
  htmlFile,
  await htmlReport({
    title: `npm run bench${quick ? ' -- --quick' : ''}`,
    summary: `${new Date().toISOString()}: ${benchmarks.length} benchmarks in ${minutes.toFixed(1)} min on ${cpus().length} cores, Bun ${Bun.version}${failed ? '; some FAILED' : ''}`,
    sections: page,
  }),
)
console.log(`bench: HTML report ${htmlFile}`)
if (!quick && !failed) {
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Bun ${Bun.version}`
  await Bun.write(
    join(import.meta.dir, '..', 'BENCHMARKS.md'),
    `# Benchmarks\n\nThe latest full run of \`npm run bench\` (${minutes.toFixed(1)} min), written by \`bench/index.ts\`; edit the benchmarks, not this file.\n\n- Date: ${new Date().toISOString()}\n- Machine: ${machine}\n- Load generators, servers and references share the machine's cores; compare rows within a table (ratios), not across machines.\n\n${sections.join('\n\n')}\n`,
  )
  console.log('bench: BENCHMARKS.md updated')
}
process.exit(failed ? 1 : 0)

/** A benchmark's printed tables, and the charts its JSON holds under `figures`. */
async function reportSection(file: string, out: string): Promise<ReportSection> {
  const json = /^JSON: (.+)$/m.exec(out)?.[1]?.trim()
  const data = json
    ? ((await Bun.file(json)
        .json()
        .catch(() => ({}))) as { figures?: PlotSpec[] })
    : {}
  const markdown = out.slice(Math.max(0, out.indexOf('## '))).replace(/\nJSON: .*\n?$/m, '')
  return {
    heading: file,
    trustedMarkdown: markdown.replace(/^## /gm, '### '),
    figures: data.figures ?? [],
  }
}
