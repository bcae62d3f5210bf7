/**
 * `harness replay [options]`: prints progress on stderr, a summary on stdout,
 * writes the JSON and HTML reports, and exits 1 when any post was lost or refused.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { arrivalsTable } from '../check/arrivals.ts'
import { commentTable, searchTable } from '../check/check-command.ts'
import { parseCommandFlags, positiveNumber } from '../command-args.ts'
import { writeReports } from '../report/report-files.ts'
import { fmt, markdownTable } from '../report/stats.ts'
import { readStackFile } from '../stack-file.ts'
import { defaultDataDir, type GraphName, missingDataSetsMessage } from './dataset.ts'
import { type ReplayReport, runReplay } from './replay.ts'
import { replayPage } from './replay-html.ts'

const USAGE = `Usage: harness replay [options]

  --gateway URL        the gateway (default: from .data/stack.json)
  --graph NAME         epinions (default), facebook, or synthetic (generated: no
                       data sets needed; the default when ../shared/data is absent)
  --users N            users from the densest part of the graph (default 300)
  --rate N             posts per second (default 10)
  --duration S         seconds of posting (default 60)
  --concurrency N      parallel sign-ups and follows (default 8)
  --watchers N         followers whose home feeds are watched (default 10)
  --timeout-ms MS      how long a post may take to appear (default 20000)
  --seed N             random seed for authors and texts (default 1)
  --data-dir DIR       the data sets (default ../shared/data)
  --propagation-p99-ms MS   the propagation target the charts show (default 1000)
  --feed-p99-ms MS     the feed read target the charts show (default 250)
  --report FILE        JSON report (default .data/replay-report.json)
  --html FILE          HTML report with charts (default: the JSON report's name, .html)

Against a deployed gateway, raise RATE_LIMIT_CREDENTIALS_PER_MIN and
RATE_LIMIT_WRITES_PER_MIN there first, or the replay waits out 429s.`

export function renderReplay(r: ReplayReport): string {
  const p = r.propagation
  const row = (name: string, s: typeof p.global, lost: number) =>
    s
      ? [name, String(s.n), String(lost), fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max)]
      : [name, '0', String(lost), '-', '-', '-', '-']
  const lines = [
    `replay of ${r.graph}: ${r.users} users, ${r.follows} follows; sign-up ${fmt(r.setupMs.signUp / 1000)} s, follows ${fmt(r.setupMs.follows / 1000)} s, warm-up ${fmt(r.setupMs.warmUp / 1000)} s`,
    markdownTable(
      ['propagation (201 → visible), ms', 'seen', 'lost', 'p50', 'p95', 'p99', 'max'],
      [
        row('global feed', p.global, p.lostGlobal.length),
        row('watcher home feed', p.home, p.lostHome.length),
      ],
    ),
  ]
  if (r.search) lines.push(searchTable(r.search))
  if (r.comments) lines.push(commentTable(r.comments, r.notifications ?? undefined))
  if (r.likes)
    lines.push(
      arrivalsTable('like propagation (200 → pushed), ms', 'pushed', [
        ['notification over WebSocket', r.likes],
      ]),
    )
  if (r.signUpBackoff.gatewayGaveUp > 0)
    lines.push(
      `sign-ups: the gateway gave up on the auth service ${r.signUpBackoff.gatewayGaveUp} time(s) (retried); sign-ups in flight went down to ${r.signUpBackoff.lowestConcurrency} (--concurrency lowers the start)`,
    )
  if (r.feedRead)
    lines.push(
      markdownTable(
        ['feed read through the gateway, ms', 'n', 'p50', 'p95', 'p99', 'max'],
        [
          [
            'home feed, 20 items',
            String(r.feedRead.n),
            fmt(r.feedRead.p50),
            fmt(r.feedRead.p95),
            fmt(r.feedRead.p99),
            fmt(r.feedRead.max),
          ],
        ],
      ),
    )
  lines.push(
    r.ok
      ? `replay passed: ${p.sent} posts, none lost`
      : `replay FAILED:\n- ${r.failures.join('\n- ')}`,
  )
  return lines.join('\n\n')
}

/**
 * The graph to replay: `--graph` as given; else Epinions, or the synthetic graph
 * (with a note saying where the real data sets come from) when neither
 * `--data-dir` nor the default folder holds them. Undefined after a usage error.
 */
export function chooseGraph(
  given: string | undefined,
  dataDirGiven: boolean,
  dataDir: string,
): GraphName | undefined {
  if (given !== undefined) {
    if (given === 'epinions' || given === 'facebook' || given === 'synthetic') return given
    console.error(`harness replay: --graph is epinions, facebook or synthetic, not "${given}"`)
    return undefined
  }
  const missing = ['soc-Epinions1.txt', 'SMSSpamCollection.tsv'].filter(
    (f) => !existsSync(join(dataDir, f)),
  )
  if (missing.length === 0 || dataDirGiven) return 'epinions'
  console.log(
    `harness replay: using the synthetic graph and texts (--graph synthetic): ${missingDataSetsMessage(dataDir, missing)}\n`,
  )
  return 'synthetic'
}

export async function replayCommand(argv: string[]): Promise<number> {
  const v = parseCommandFlags(
    'replay',
    argv,
    {
      gateway: { type: 'string' },
      graph: { type: 'string' },
      users: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      watchers: { type: 'string' },
      'timeout-ms': { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      report: { type: 'string' },
      html: { type: 'string' },
      'propagation-p99-ms': { type: 'string' },
      'feed-p99-ms': { type: 'string' },
    },
    USAGE,
  )
  if (typeof v === 'number') return v
  const num = (key: string, dflt: number) => positiveNumber(v, key, dflt)
  const gateway = (v.gateway as string | undefined) ?? (await readStackFile())?.gateway
  if (!gateway) {
    console.error('harness replay: no running stack found (.data/stack.json); pass --gateway')
    return 2
  }
  const dataDir = resolve((v['data-dir'] as string | undefined) ?? defaultDataDir)
  const graph = chooseGraph(v.graph as string | undefined, v['data-dir'] !== undefined, dataDir)
  if (!graph) return 2
  let options: Parameters<typeof runReplay>[0]
  try {
    options = {
      gateway: gateway.replace(/\/+$/, ''),
      dataDir,
      graph,
      users: Math.floor(num('users', 300)),
      ratePerSec: num('rate', 10),
      durationSec: num('duration', 60),
      concurrency: Math.floor(num('concurrency', 8)),
      watchers: Math.floor(num('watchers', 10)),
      timeoutMs: num('timeout-ms', 20_000),
      seed: Math.floor(num('seed', 1)),
      targets: {
        propagationP99Ms: num('propagation-p99-ms', 1_000),
        feedP99Ms: num('feed-p99-ms', 250),
      },
    }
  } catch (err) {
    console.error(`harness replay: ${(err as Error).message}`)
    return 2
  }
  let lastPhase = ''
  options.onProgress = (phase, done, total) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K… ${phase}: ${done}/${total}`)
    else if (phase !== lastPhase || done === total)
      process.stderr.write(`… ${phase}: ${done}/${total}\n`)
    lastPhase = phase
  }
  console.error(
    `harness replay: ${options.users} users of ${graph}, ${options.ratePerSec} posts/s for ${options.durationSec} s via ${options.gateway}`,
  )
  let report: ReplayReport
  try {
    report = await runReplay(options)
  } catch (err) {
    console.error(`\nharness replay: ${(err as Error).message}`)
    return 1
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K')
  const files = await writeReports(v, '.data/replay-report.json', report, replayPage(report))
  console.log(renderReplay(report))
  console.log(`report: ${files.json}\nHTML report: ${files.html}`)
  return report.ok ? 0 : 1
}
