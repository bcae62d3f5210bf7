/** The check report as an HTML page: each step, propagation and feed-read charts against the thresholds. */
import type { HtmlReportInput, ReportSection } from '../report/html-report.ts'
import { feedReadFigures, propagationFigures } from '../report/latency-figures.ts'
import { arrivalsSection } from './arrivals.ts'
import type { CheckReport } from './check.ts'

/** @example await htmlReport(checkPage(report)) */
export function checkPage(r: CheckReport): HtmlReportInput {
  const sections: ReportSection[] = [
    {
      heading: 'Steps',
      ok: r.ok,
      table: {
        head: ['check', 'result', 'ms', 'failures'],
        rows: r.steps.map((s) => [
          s.name,
          s.ok ? 'pass' : 'FAIL',
          s.durationMs.toFixed(0),
          s.failures.join('; ') || '-',
        ]),
      },
    },
  ]
  if (r.propagation)
    sections.push({
      heading: 'Event propagation',
      text: [
        `${r.propagation.sent} posts; lost: ${r.propagation.lostGlobal.length} (global feed), ${r.propagation.lostHome.length} (home feed).`,
      ],
      figures: propagationFigures(r.propagation, r.targets.propagationP99Ms),
    })
  if (r.feedReadSamples?.length)
    sections.push({
      heading: 'Feed reads through the gateway',
      figures: feedReadFigures(r.feedReadSamples, r.targets.feedP99Ms),
    })
  const reads = arrivalsSection([
    ['search: 201 → found', r.search],
    ['comment: 201 → counted in the feed', r.comments],
    ['comment: 201 → pushed on the live socket', r.notifications],
  ])
  if (reads) sections.push(reads)
  return {
    title: 'harness check',
    summary: `${r.startedAt}: gateway ${r.gateway}: ${r.ok ? 'passed' : 'FAILED'} (${r.steps.filter((s) => s.ok).length} of ${r.steps.length} steps)`,
    sections,
  }
}
