/** The drill results as an HTML report: one section per drill, its numbers and its answers per second around the fault. */
import type { HtmlReportInput, ReportSection } from '../report/html-report.ts'
import { seriesPlot } from '../report/plot-spec.ts'
import type { DrillResult } from './drills.ts'

function drillSection(r: DrillResult): ReportSection {
  const t = r.throughput
  return {
    heading: `${r.name}: ${r.skipped ? 'skipped' : r.pass ? 'pass' : 'FAIL'}`,
    ...(r.skipped ? {} : { ok: r.pass }),
    text: [
      `Fault: ${r.fault}. Load: ${r.load}.`,
      ...(r.skipped ? [r.skipped] : []),
      ...r.failures.map((f) => `Failure: ${f}`),
      ...r.thresholds.map((x) => `Threshold: ${x}`),
      ...r.notes,
      ...(t
        ? [`The fault was on from ${t.faultFromS.toFixed(1)} s to ${t.faultToS.toFixed(1)} s.`]
        : []),
    ],
    table: {
      head: ['GET failed', 'POST failed', 'accepted', 'lost', 'duplicates', 'recovery'],
      rows: [
        [
          `${r.requests.GET.failed} / ${r.requests.GET.sent}`,
          `${r.requests.POST.failed} / ${r.requests.POST.sent}`,
          String(r.accepted),
          String(r.lost),
          String(r.duplicates),
          r.recoveryMs === null ? '-' : `${r.recoveryMs} ms`,
        ],
      ],
    },
    figures: t
      ? [
          seriesPlot(
            `${r.name}: answers per second (fault ${t.faultFromS.toFixed(1)}–${t.faultToS.toFixed(1)} s)`,
            's since the load started',
            'answers/s',
            ['GET ok', 'GET failed', 'POST ok', 'POST failed'],
            t.perSecond,
          ),
        ]
      : [],
  }
}

/**
 * @example await htmlReport(drillPage(results, new Date()))
 */
export function drillPage(results: DrillResult[], at: Date): HtmlReportInput {
  return {
    title: 'Fault drills',
    summary: `${at.toISOString()}: ${results.filter((r) => r.pass).length} of ${results.length} passed.`,
    sections: results.map(drillSection),
  }
}
