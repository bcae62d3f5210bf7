/**
 * `harness check [--gateway URL] [--consul URL] [--json] [thresholds]`: prints a
 * table per check (a progress line while running, on stderr) and exits 1 on any
 * failure. URLs default to the running stack's `.data/stack.json`.
 */

import { parseCommandFlags, positiveNumber } from '../command-args.ts'
import { writeReports } from '../report/report-files.ts'
import { fmt, markdownTable } from '../report/stats.ts'
import { readStackFile } from '../stack-file.ts'
import { type Arrivals, arrivalsTable } from './arrivals.ts'
import { type CheckReport, runCheck } from './check.ts'
import { checkPage } from './check-html.ts'
import { probeTlsFromFlags, TLS_FLAGS, TLS_USAGE } from './probes.ts'
import type { SearchPropagation } from './search-propagation.ts'

const USAGE = `Usage: harness check [options]

  --gateway URL               the gateway (default: from .data/stack.json)
  --consul URL                the Consul HTTP API (default: from .data/stack.json)
  --consul-token TOKEN        a Consul ACL token (default: CONSUL_HTTP_TOKEN)
${TLS_USAGE}
  --services LIST             expected services (default auth,profile,posts,feed,search,notifications,gateway)
  --posts N                   posts to time (default 20)
  --rate N                    posts per second (default 10)
  --feed-reads N              home-feed reads to time (default 200)
  --timeout-ms MS             how long a post may take to appear (default 15000)
  --propagation-p99-ms MS     fail above this propagation p99 (default 1000)
  --feed-p99-ms MS            fail above this feed read p99 (default 250)
  --admin-bootstrap-token T   the stack's AUTH_ADMIN_BOOTSTRAP_TOKEN, for the moderation step
                              (default: that variable, or .data/stack.json; none: the step is skipped)
  --json                      print the report as JSON on stdout
  --report FILE               JSON report (default .data/check-report.json)
  --html FILE                 HTML report with charts (default: the JSON report's name, .html)`

/** Human-readable tables for a report. */
export function renderCheck(r: CheckReport): string {
  const out: string[] = []
  out.push(
    markdownTable(
      ['check', 'result', 'ms', 'failures'],
      r.steps.map((s) => [
        s.name,
        s.ok ? 'pass' : 'FAIL',
        s.durationMs.toFixed(0),
        s.failures.length ? s.failures.join('; ') : '-',
      ]),
    ),
  )
  if (r.discovery?.instances.length) {
    out.push(
      markdownTable(
        ['service', 'instance', 'address', 'consul', 'tcp connect', 'GET /health/ready'],
        r.discovery.instances.map((i) => [
          i.service,
          i.id,
          `${i.address}:${i.port}`,
          i.consulStatus,
          i.tcp.ok ? `${fmt(i.tcp.ms)} ms` : `FAIL: ${i.tcp.failure}`,
          i.health ? `${i.health.status ?? 'error'} in ${fmt(i.health.ms)} ms` : '-',
        ]),
      ),
    )
  }
  const p = r.propagation
  if (p) {
    const row = (name: string, s: typeof p.global, lost: number) =>
      s
        ? [name, String(s.n), String(lost), fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max)]
        : [name, '0', String(lost), '-', '-', '-', '-']
    out.push(
      markdownTable(
        ['propagation (201 → visible), ms', 'seen', 'lost', 'p50', 'p95', 'p99', 'max'],
        [
          row('global feed', p.global, p.lostGlobal.length),
          row('follower home feed', p.home, p.lostHome.length),
        ],
      ),
    )
  }
  if (r.feedRead) {
    const f = r.feedRead
    out.push(
      markdownTable(
        ['feed read through the gateway, ms', 'n', 'p50', 'p95', 'p99', 'max'],
        [['home feed, 20 items', String(f.n), fmt(f.p50), fmt(f.p95), fmt(f.p99), fmt(f.max)]],
      ),
    )
  }
  if (r.search) out.push(searchTable(r.search))
  if (r.comments) out.push(commentTable(r.comments, r.notifications))
  if (r.moderation)
    out.push(
      arrivalsTable('moderation, ms', 'seen', [
        ['hide 200 → gone from the global feed', r.moderation.hidden],
        ['hide 200 → in the audit trail', r.moderation.audited],
        ['suspension 200 → token refused at the gateway', r.moderation.denied],
      ]),
    )
  if (r.accountDeletionMs !== undefined)
    out.push(
      `account deletion: the saga completed ${fmt(r.accountDeletionMs)} ms after the request`,
    )
  for (const s of r.skipped ?? []) out.push(`skipped: ${s}`)
  out.push(r.ok ? 'check passed' : 'check FAILED')
  return out.join('\n\n')
}

/** The search propagation table, shared with replay's report. */
export function searchTable(s: SearchPropagation): string {
  return arrivalsTable('search propagation (201 → found), ms', 'found', [['search', s]])
}

/** The comment propagation table, shared with replay's report. */
export function commentTable(counted: Arrivals, pushed?: Arrivals): string {
  return arrivalsTable('comment propagation (201 → seen), ms', 'seen', [
    ['comment count in the feed', counted],
    ...(pushed ? ([['notification over WebSocket', pushed]] as [string, Arrivals][]) : []),
  ])
}

export async function checkCommand(argv: string[]): Promise<number> {
  const values = parseCommandFlags(
    'check',
    argv,
    {
      gateway: { type: 'string' },
      consul: { type: 'string' },
      'consul-token': { type: 'string' },
      ...TLS_FLAGS,
      services: { type: 'string' },
      posts: { type: 'string' },
      rate: { type: 'string' },
      'feed-reads': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'propagation-p99-ms': { type: 'string' },
      'feed-p99-ms': { type: 'string' },
      'admin-bootstrap-token': { type: 'string' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      html: { type: 'string' },
    },
    USAGE,
  )
  if (typeof values === 'number') return values
  const stack = await readStackFile()
  const gateway = (values.gateway as string | undefined) ?? stack?.gateway
  const consul = (values.consul as string | undefined) ?? stack?.consul
  if (!gateway || !consul) {
    console.error(
      'harness check: no running stack found (.data/stack.json); pass --gateway and --consul',
    )
    return 2
  }
  let options: Parameters<typeof runCheck>[0]
  try {
    options = {
      gateway: gateway.replace(/\/+$/, ''),
      consul: (consul.includes('://') ? consul : `http://${consul}`).replace(/\/+$/, ''),
      consulToken: (values['consul-token'] as string | undefined) ?? process.env.CONSUL_HTTP_TOKEN,
      tls: probeTlsFromFlags(values),
      services: (values.services as string | undefined)?.split(',').map((s) => s.trim()),
      posts: positiveNumber(values, 'posts', 20),
      ratePerSec: positiveNumber(values, 'rate', 10),
      feedReads: positiveNumber(values, 'feed-reads', 200),
      timeoutMs: positiveNumber(values, 'timeout-ms', 15_000),
      propagationP99Ms: positiveNumber(values, 'propagation-p99-ms', 1_000),
      feedP99Ms: positiveNumber(values, 'feed-p99-ms', 250),
      adminBootstrapToken:
        (values['admin-bootstrap-token'] as string | undefined) ??
        process.env.AUTH_ADMIN_BOOTSTRAP_TOKEN ??
        stack?.adminBootstrapToken,
    }
  } catch (err) {
    console.error(`harness check: ${(err as Error).message}`)
    return 2
  }
  const interactive = process.stderr.isTTY
  options.onStep = (name, detail) => {
    const line = `… ${name}${detail ? `: ${detail}` : ''}`
    if (interactive) process.stderr.write(`\r\x1b[2K${line}`)
    else if (detail === 'ok' || detail === 'FAILED' || !detail) process.stderr.write(`${line}\n`)
  }
  console.error(`harness check: gateway ${options.gateway}, consul ${options.consul}`)
  const report = await runCheck(options)
  if (interactive) process.stderr.write('\r\x1b[2K')
  const files = await writeReports(values, '.data/check-report.json', report, checkPage(report))
  if (values.json) console.log(JSON.stringify(report, null, 2))
  else console.log(`${renderCheck(report)}\nreport: ${files.json}\nHTML report: ${files.html}`)
  return report.ok ? 0 : 1
}
