/**
 * `harness drill [NAMES] [--short] [--json] [--report FILE] [--html FILE]`: runs fault drills
 * against the stack `npm start` runs (through its control socket) and prints,
 * per drill, the load, requests failed by method, posts accepted and lost,
 * duplicates, time to recover and pass/fail against the drill's thresholds.
 * Exits 1 when a drill fails.
 */
import { parseArgs } from 'node:util'
import { type Session, stackClient } from '../client/stack-client.ts'
import { writeReports } from '../report/report-files.ts'
import { markdownTable } from '../report/stats.ts'
import { readStackFile } from '../stack-file.ts'
import { controlClient } from '../up/control.ts'
import {
  DRILL_PASSWORD,
  type DrillContext,
  type DrillResult,
  drills,
  emptyResult,
} from './drills.ts'
import { drillPage } from './report-html.ts'

const USAGE = `Usage: harness drill [NAMES] [options]

Runs fault drills against the running stack (npm start). NAMES: ${drills.map((d) => d.name).join(', ')} (default: all).

  --short       shorter load and outages (what CI runs)
  --json        print the results as JSON on stdout
  --report FILE JSON report (default .data/drill-report.json)
  --html FILE   HTML report with charts (default: the JSON report's name, .html)
  --stack FILE  the running stack's description (default .data/stack.json)`

/** Authors, each followed by a watcher of their own, signed up for this run. */
async function setUp(ctx: Pick<DrillContext, 'api'>) {
  const run = Date.now().toString(36)
  const signUp = (who: string) => ctx.api.signUp(`${who}-${run}@drill.example`, DRILL_PASSWORD)
  const authors: Session[] = []
  const watchers = new Map<string, Session>()
  for (let i = 0; i < 3; i++) {
    const [author, watcher] = await Promise.all([signUp(`author${i}`), signUp(`watcher${i}`)])
    const deadline = Date.now() + 20_000
    while (!(await ctx.api.profileExists(author.userId)) && Date.now() < deadline)
      await Bun.sleep(50)
    await ctx.api.follow(watcher, author.userId)
    authors.push(author)
    watchers.set(author.userId, watcher)
  }
  return { authors, watchers }
}

/** The results as markdown tables. */
export function renderDrills(results: DrillResult[]): string {
  const failed = (c: { sent: number; failed: number; byStatus: Record<number, number> }) =>
    `${c.failed} of ${c.sent}${
      c.failed
        ? ` (${Object.entries(c.byStatus)
            .map(([s, n]) => `${n}×${s}`)
            .join(', ')})`
        : ''
    }`
  return markdownTable(
    [
      'drill',
      'fault',
      'load',
      'GET failed',
      'POST failed',
      'accepted',
      'lost',
      'duplicates',
      'recovery ms',
      'result',
    ],
    results.map((r) => [
      r.name,
      r.fault,
      r.load,
      failed(r.requests.GET),
      failed(r.requests.POST),
      String(r.accepted),
      String(r.lost),
      String(r.duplicates),
      r.recoveryMs === null ? '-' : String(r.recoveryMs),
      r.skipped ? `skipped: ${r.skipped}` : r.pass ? 'pass' : `FAIL: ${r.failures.join('; ')}`,
    ]),
  )
}

export async function drillCommand(argv: string[]): Promise<number> {
  let values: {
    short?: boolean
    json?: boolean
    html?: string
    report?: string
    stack?: string
    help?: boolean
  }
  let names: string[]
  try {
    const parsed = parseArgs({
      args: argv,
      options: {
        short: { type: 'boolean' },
        json: { type: 'boolean' },
        html: { type: 'string' },
        report: { type: 'string' },
        stack: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    })
    values = parsed.values
    names = parsed.positionals.flatMap((p) => p.split(','))
  } catch (err) {
    console.error(`harness drill: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const unknown = names.filter((n) => !drills.some((d) => d.name === n))
  if (unknown.length) {
    console.error(`harness drill: unknown drill ${unknown.join(', ')}\n\n${USAGE}`)
    return 2
  }
  const stack = await readStackFile(values.stack)
  if (!stack?.control) {
    console.error(
      'harness drill: no running stack found (.data/stack.json); start one with npm start',
    )
    return 1
  }
  const api = stackClient(stack.gateway)
  const log = (line: string) => console.error(`… ${line}`)
  const ctx: DrillContext = {
    api,
    control: controlClient(stack.control),
    stack,
    short: Boolean(values.short),
    log,
    ...(await setUp({ api })),
  }
  const results: DrillResult[] = []
  for (const d of drills.filter((x) => names.length === 0 || names.includes(x.name))) {
    log(`${d.name}: ${d.description}`)
    const r = await d.run(ctx).catch((err: Error) => ({
      ...failedToRun(d.name, err.message),
    }))
    log(`${d.name}: ${r.skipped ? 'skipped' : r.pass ? 'pass' : 'FAIL'}`)
    results.push(r)
  }
  if (values.json) console.log(JSON.stringify(results, null, 2))
  else {
    console.log(renderDrills(results))
    for (const r of results) for (const n of r.notes) console.log(`${r.name}: ${n}`)
  }
  const files = await writeReports(
    values,
    '.data/drill-report.json',
    results,
    drillPage(results, new Date()),
  )
  console.error(`harness drill: reports written to ${files.json} and ${files.html}`)
  return results.every((r) => r.pass) ? 0 : 1
}

function failedToRun(name: string, reason: string): DrillResult {
  return { ...emptyResult(name, '-'), failures: [`could not run: ${reason}`], pass: false }
}
