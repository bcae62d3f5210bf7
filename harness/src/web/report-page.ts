/**
 * The script of a self-contained HTML report: draws every
 * `<figure class="plot"><script type="application/json">PlotSpec</script></figure>`.
 */

import type { PlotSpec } from '../report/plot-spec.ts'
import { drawPlot } from './plot.ts'

for (const figure of document.querySelectorAll<HTMLElement>('figure.plot')) {
  const json = figure.querySelector('script[type="application/json"]')?.textContent
  if (!json) continue
  const spec = JSON.parse(json) as PlotSpec
  const target = document.createElement('div')
  figure.append(target)
  drawPlot(target, spec, Math.min(720, figure.clientWidth || 720))
}
