/**
 * The browser code of the reports and the dashboard (harness/src/web), bundled
 * with its libraries (uPlot, Preact, htm) by Bun's bundler on first use and kept
 * in memory: pages and reports load nothing from the network.
 */
import { join } from 'node:path'

const web = join(import.meta.dir, '..', 'web')
const bundles = new Map<string, Promise<string>>()

/**
 * One minified IIFE script for a browser entry point in harness/src/web.
 * @throws when the bundler reports an error (a broken browser module).
 * @example const js = await browserBundle('report-page')
 */
export function browserBundle(entry: 'report-page' | 'dashboard'): Promise<string> {
  let bundle = bundles.get(entry)
  if (!bundle) {
    bundle = build(join(web, `${entry}.ts`))
    bundles.set(entry, bundle)
    bundle.catch(() => bundles.delete(entry))
  }
  return bundle
}

async function build(path: string): Promise<string> {
  const out = await Bun.build({
    entrypoints: [path],
    target: 'browser',
    format: 'iife',
    minify: true,
  })
  if (!out.success) throw new AggregateError(out.logs, `bundling ${path} failed`)
  // A `</script>` inside the code would end the inline script early.
  return (await out.outputs[0]!.text()).replaceAll('</script', '<\\/script')
}

/** uPlot's stylesheet, for inlining. */
export async function plotStylesheet(): Promise<string> {
  return Bun.file(join(require.resolve('uplot'), '..', 'uPlot.min.css')).text()
}
