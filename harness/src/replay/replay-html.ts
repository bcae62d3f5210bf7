/** The replay report as an HTML page: setup, propagation over time, throughput and feed reads, each against its target. */

import { arrivalsSection } from '../check/arrivals.ts'
import type { HtmlReportInput } from '../report/html-report.ts'
import { feedReadFigures, propagationFigures } from '../report/latency-figures.ts'
import type { ReplayReport } from './replay.ts'

/** @example await htmlReport(replayPage(report)) */
export function replayPage(r: ReplayReport): HtmlReportInput {
  const reads = arrivalsSection([
    ['search: 201 → found', r.search],
    ['comment: 201 → counted in the feed', r.comments],
    ['comment: 201 → pushed on the live socket', r.notifications],
    ['like: 200 → pushed on the live socket', r.likes],
  ])
  return {
    title: 'harness replay',
    summary: `${r.startedAt}: ${r.users} users and ${r.follows} follows of ${r.graph} through ${r.gateway}: ${r.ok ? 'nothing lost' : 'FAILED'}`,
    sections: [
      {
        heading: 'Setup',
        text: r.failures.length ? r.failures : [],
        ok: r.ok,
        table: {
          head: ['sign-up ms', 'follows ms', 'warm-up ms', 'posts', 'lost (global)', 'lost (home)'],
          rows: [
            [
              String(r.setupMs.signUp),
              String(r.setupMs.follows),
              String(r.setupMs.warmUp),
              String(r.propagation.sent),
              String(r.propagation.lostGlobal.length),
              String(r.propagation.lostHome.length),
            ],
          ],
        },
      },
      {
        heading: 'Event propagation',
        figures: propagationFigures(r.propagation, r.targets.propagationP99Ms),
      },
      {
        heading: 'Home feed reads through the gateway',
        figures: feedReadFigures(r.feedReadSamples, r.targets.feedP99Ms),
      },
      ...(reads ? [reads] : []),
    ],
  }
}
