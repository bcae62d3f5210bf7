/**
 * Events: events per second per topic and the feed's propagation delay
 * (p50/p95/p99 over the last minute) as live charts, and the latest
 * dead-lettered events with the reason their consumer gave up.
 */
import { useEffect, useRef } from 'preact/hooks'
import type uPlot from 'uplot'
import type { EventsSnapshot } from '../../dashboard/event-view.ts'
import type { PlotSpec } from '../../report/plot-spec.ts'
import { drawPlot } from '../plot.ts'
import { html } from './html.ts'
import { useLive } from './live.ts'

/** A chart that redraws when its series change and only updates its data otherwise. */
function LiveChart({ spec, name }: { spec: PlotSpec; name: string }) {
  const el = useRef<HTMLDivElement>(null)
  const plot = useRef<{ u: uPlot; series: string } | null>(null)
  useEffect(() => {
    if (!el.current) return
    const series = spec.series.join(',')
    if (plot.current?.series === series) plot.current.u.setData(spec.data as uPlot.AlignedData)
    else {
      plot.current?.u.destroy()
      plot.current = {
        u: drawPlot(el.current, spec, Math.min(900, el.current.clientWidth || 900)),
        series,
      }
    }
  }, [spec])
  useEffect(() => () => plot.current?.u.destroy(), [])
  return html`<div class="card" data-chart=${name} data-points=${spec.data[0]?.length ?? 0} ref=${el}></div>`
}

/** The Events page. */
export function EventsPage() {
  const e = useLive<EventsSnapshot>('events')
  if (!e) return html`<p class="muted">waiting for the first reading…</p>`
  return html`<div>
    ${e.notes.map((n) => html`<p class="error">${n}</p>`)}
    <div class="grid2">
      <${LiveChart} spec=${e.rates} name="rates" />
      <div><${LiveChart} spec=${e.propagation} name="propagation" />
        <div class="muted">${e.propagationCount} events projected in the window; a point each second new ones arrive.</div></div>
    </div>
    <h2>Dead-lettered events</h2>
    ${
      e.deadLetters.length === 0
        ? html`<p class="muted" id="no-dead-letters">None: every consumed event was handled.</p>`
        : html`<table id="dead-letters"><thead><tr><th>time</th><th>dead-letter topic</th><th>from</th><th>event</th><th>key</th><th>reason</th></tr></thead><tbody>
        ${e.deadLetters.map(
          (
            d,
          ) => html`<tr><td>${new Date(d.time).toLocaleTimeString()}</td><td class="mono">${d.topic}</td><td class="mono">${d.sourceTopic}</td>
          <td class="mono">${d.type ?? '(unreadable)'} ${d.id ?? ''}</td><td class="mono">${d.key ?? ''}</td><td class="error">${d.reason}</td></tr>`,
        )}
      </tbody></table>`
    }
  </div>`
}
