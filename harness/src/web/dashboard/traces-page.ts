/**
 * Traces: the most recent traces from the embedded receiver, filtered by
 * service, route, status and minimum duration (kept in the page's query string),
 * refreshed as new spans arrive.
 */
import { useEffect, useState } from 'preact/hooks'
import type { TraceSummary } from '../../traces/otlp-receiver.ts'
import { getJson, queryState, setQueryState } from './api.ts'
import { html } from './html.ts'
import { laneColor } from './lanes.ts'
import { onLive } from './live.ts'

const SERVICES = ['gateway', 'auth', 'profile', 'posts', 'feed', 'search', 'notifications']

type Filters = { service?: string; route?: string; status?: string; minMs?: string }

function FilterBar({ f, set }: { f: Filters; set: (f: Filters) => void }) {
  const field = (key: keyof Filters) => (e: Event) =>
    set({ ...f, [key]: (e.target as HTMLInputElement).value || undefined })
  return html`<form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
    <select name="service" value=${f.service ?? ''} onChange=${field('service')}>
      <option value="">every service</option>${SERVICES.map((s) => html`<option value=${s}>${s}</option>`)}
    </select>
    <input name="route" placeholder="route contains…" value=${f.route ?? ''} onInput=${field('route')} />
    <select name="status" value=${f.status ?? ''} onChange=${field('status')}>
      <option value="">any status</option><option value="ok">ok</option><option value="error">error</option>
    </select>
    <input name="minMs" type="number" min="0" placeholder="at least ms" value=${f.minMs ?? ''} onInput=${field('minMs')} />
  </form>`
}

/** The Traces page. */
export function TracesPage() {
  const [filters, setFilters] = useState<Filters>(queryState())
  const [traces, setTraces] = useState<TraceSummary[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    setQueryState(filters)
    let stale = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const load = () => {
      const q = new URLSearchParams({ sort: 'recent', limit: '100' })
      for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v)
      getJson<TraceSummary[]>(`/_dev/api/traces?${q}`).then(
        (t) => !stale && setTraces(t),
        (e: Error) => setError(e.message),
      )
    }
    load()
    const off = onLive('traces', () => {
      clearTimeout(timer)
      timer = setTimeout(load, 300)
    })
    return () => {
      stale = true
      clearTimeout(timer)
      off()
    }
  }, [JSON.stringify(filters)])
  return html`<div>
    <${FilterBar} f=${filters} set=${setFilters} />
    ${error ? html`<p class="error">${error}</p>` : null}
    ${traces === null ? html`<p class="muted">loading…</p>` : traces.length === 0 ? html`<p class="muted">No traces yet: make a request through the gateway.</p>` : null}
    <table id="traces"><thead><tr><th>started</th><th>root</th><th>status</th><th>duration</th><th>spans</th><th>services</th></tr></thead><tbody>
      ${(traces ?? []).map(
        (t) => html`<tr key=${t.traceId} data-trace-id=${t.traceId}>
          <td>${new Date(t.startMs).toLocaleTimeString()}</td>
          <td><a href=${`/_dev/traces/${t.traceId}`}>${t.root}</a></td>
          <td class=${t.error ? 'error' : ''}>${t.status ?? (t.error ? 'error' : 'ok')}</td>
          <td>${t.durationMs.toFixed(1)} ms</td><td>${t.spans}</td>
          <td>${t.services.map((s) => html`<span class="lane" style=${`background:${laneColor(s)}`}>${s}</span>`)}</td>
        </tr>`,
      )}
    </tbody></table>
  </div>`
}
