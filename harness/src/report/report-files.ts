/**
 * Where a command's reports go: the JSON report (`--report FILE`) and the HTML
 * one (`--html FILE`, default: the JSON file's name with `.html`), both written
 * with their folders created.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type HtmlReportInput, htmlReport } from './html-report.ts'

/**
 * Writes both reports; returns their absolute paths.
 * @example const files = await writeReports({ report: values.report, html: values.html }, '.data/check-report.json', report, page)
 */
export async function writeReports(
  given: { report?: unknown; html?: unknown },
  defaultJson: string,
  json: unknown,
  page: HtmlReportInput,
): Promise<{ json: string; html: string }> {
  const jsonFile = resolve(typeof given.report === 'string' ? given.report : defaultJson)
  const htmlFile = resolve(
    typeof given.html === 'string' ? given.html : jsonFile.replace(/(\.json)?$/, '.html'),
  )
  for (const f of [jsonFile, htmlFile]) mkdirSync(dirname(f), { recursive: true })
  await Bun.write(jsonFile, `${JSON.stringify(json, null, 2)}\n`)
  await Bun.write(htmlFile, await htmlReport(page))
  return { json: jsonFile, html: htmlFile }
}
