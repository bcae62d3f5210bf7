/** The drill results as one self-contained HTML page (no scripts, no external assets). */
import type { DrillResult } from './drills.ts'

const html = Bun.escapeHTML

/**
 * @example writeFileSync('drills.html', drillReportHtml(results, new Date()))
 */
export function drillReportHtml(results: DrillResult[], at: Date): string {
  const rows = results
    .map((r) => {
      const verdict = r.skipped ? 'skipped' : r.pass ? 'pass' : 'fail'
      const cells = [
        r.name,
        r.fault,
        r.load,
        `${r.requests.GET.failed} / ${r.requests.GET.sent}`,
        `${r.requests.POST.failed} / ${r.requests.POST.sent}`,
        String(r.accepted),
        String(r.lost),
        String(r.duplicates),
        r.recoveryMs === null ? '-' : `${r.recoveryMs} ms`,
        r.skipped ?? (r.pass ? 'pass' : r.failures.join('; ')),
      ]
      const details = [...r.thresholds.map((t) => `threshold: ${t}`), ...r.notes]
      return `<tr class="${verdict}">${cells.map((c) => `<td>${html(c)}</td>`).join('')}</tr>${
        details.length
          ? `<tr class="details"><td colspan="10">${details.map(html).join('<br>')}</td></tr>`
          : ''
      }`
    })
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CivilDIY fault drills</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2rem; color: #222 }
table { border-collapse: collapse } td, th { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left }
tr.pass td:last-child { color: #176f2c } tr.fail td:last-child { color: #b00020; font-weight: bold }
tr.skipped td:last-child { color: #777 } tr.details td { color: #555; font-size: 12px }
</style></head><body>
<h1>Fault drills</h1>
<p>${html(at.toISOString())}: ${results.filter((r) => r.pass).length} of ${results.length} passed.</p>
<table><thead><tr><th>drill</th><th>fault</th><th>load</th><th>GET failed</th><th>POST failed</th><th>accepted</th><th>lost</th><th>duplicates</th><th>recovery</th><th>result</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`
}
