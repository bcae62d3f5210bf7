/**
 * A self-contained HTML report: headings, text, tables and charts (PlotSpec,
 * drawn by uPlot), with the script and stylesheet inlined so the file opens
 * offline, from disk, anywhere. `check`, `replay`, `drill` and `npm run bench`
 * write one next to their JSON report.
 */
import { marked } from 'marked'
import { browserBundle, plotStylesheet } from './browser-bundle.ts'
import type { PlotSpec } from './plot-spec.ts'

export interface ReportSection {
  heading: string
  /** Paragraphs, as plain text. */
  text?: string[]
  /** Markdown (tables included) rendered as is: only for text this project wrote, such as a benchmark's own output. */
  trustedMarkdown?: string
  table?: { head: string[]; rows: string[][] }
  figures?: PlotSpec[]
  /** Marks the section as passing or failing. */
  ok?: boolean
}

export interface HtmlReportInput {
  title: string
  /** One line under the title: when, against what, the verdict. */
  summary: string
  sections: ReportSection[]
}

const html = Bun.escapeHTML

/** JSON safe to embed in a `<script type="application/json">`. */
const embeddedJson = (value: unknown) => JSON.stringify(value).replaceAll('<', '\\u003c')

function section(s: ReportSection): string {
  const cls = s.ok === undefined ? '' : s.ok ? ' class="ok"' : ' class="failed"'
  const table = s.table
    ? `<table><thead><tr>${s.table.head.map((h) => `<th>${html(h)}</th>`).join('')}</tr></thead><tbody>${s.table.rows
        .map((r) => `<tr>${r.map((c) => `<td>${html(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : ''
  const figures = (s.figures ?? [])
    .map(
      (f) =>
        `<figure class="plot"><script type="application/json">${embeddedJson(f)}</script></figure>`,
    )
    .join('\n')
  const markdown = s.trustedMarkdown
    ? (marked.parse(s.trustedMarkdown, { async: false }) as string)
    : ''
  return `<section${cls}><h2>${html(s.heading)}</h2>${(s.text ?? []).map((p) => `<p>${html(p)}</p>`).join('')}${markdown}${table}<div class="figures">${figures}</div></section>`
}

/**
 * @example await Bun.write('.data/replay-report.html', await htmlReport({ title: 'Replay', summary, sections }))
 */
export async function htmlReport(r: HtmlReportInput): Promise<string> {
  const [script, css] = await Promise.all([browserBundle('report-page'), plotStylesheet()])
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(r.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>${css}
body { font: 14px system-ui, sans-serif; margin: 2rem auto; max-width: 1500px; padding: 0 1rem; color: #1f2937 }
h1 { margin-bottom: .2rem } .summary { color: #4b5563 }
section { border-left: 4px solid #d1d5db; padding-left: 1rem; margin: 1.5rem 0 }
section.ok { border-color: #16a34a } section.failed { border-color: #dc2626 }
table { border-collapse: collapse; margin: .5rem 0 } td, th { border: 1px solid #d1d5db; padding: .25rem .6rem; text-align: left; font-variant-numeric: tabular-nums }
.figures { display: flex; flex-wrap: wrap; gap: 1rem } figure.plot { margin: 0; width: 720px; max-width: 100% }
.plot-target { font-size: 12px; color: #166534; margin: .2rem 0 0 .5rem } .plot-target.missed { color: #b91c1c; font-weight: 600 }
</style></head><body>
<h1>${html(r.title)}</h1>
<p class="summary">${html(r.summary)}</p>
${r.sections.map(section).join('\n')}
<script>${script}</script>
</body></html>
`
}
