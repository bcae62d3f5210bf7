/**
 * Logs: every process's lines (debug and above: every request), filtered by process, level,
 * request id, trace id and text (kept in the query string), following new lines
 * live. A trace id links to its waterfall; a request id filters to its lines.
 */
import { useEffect, useState } from 'preact/hooks'
import type { LogEntry } from '../../dashboard/log-buffer.ts'
import { getJson, queryState, setQueryState } from './api.ts'
import { html } from './html.ts'
import { onLive } from './live.ts'

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
const PROCESSES = [
  'harness',
  'gateway',
  'auth',
  'profile',
  'posts',
  'feed',
  'search',
  'notifications',
  'kafka',
  'mongo',
  'consul',
]
const MAX_ROWS = 2_000
type Filters = {
  process?: string
  level?: string
  requestId?: string
  traceId?: string
  text?: string
  probes?: string
}

function matches(e: LogEntry, f: Filters) {
  const text = f.text?.toLowerCase()
  return (
    (f.probes === 'true' || !e.probe) &&
    (!f.process || e.process === f.process || e.process.startsWith(`${f.process}-`)) &&
    (!f.level || LEVELS.indexOf(e.level) >= LEVELS.indexOf(f.level)) &&
    (!f.requestId || e.requestId === f.requestId) &&
    (!f.traceId || e.traceId === f.traceId) &&
    (!text || e.msg.toLowerCase().includes(text) || e.fields.toLowerCase().includes(text))
  )
}

function FilterBar({ f, set }: { f: Filters; set: (f: Filters) => void }) {
  const field = (key: keyof Filters) => (e: Event) =>
    set({ ...f, [key]: (e.target as HTMLInputElement).value || undefined })
  return html`<form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
    <select name="process" value=${f.process ?? ''} onChange=${field('process')}><option value="">every process</option>${PROCESSES.map((p) => html`<option value=${p}>${p}</option>`)}</select>
    <select name="level" value=${f.level ?? ''} onChange=${field('level')}><option value="">any level</option>${LEVELS.map((l) => html`<option value=${l}>${l} and above</option>`)}</select>
    <input name="requestId" placeholder="request id" value=${f.requestId ?? ''} onInput=${field('requestId')} />
    <input name="traceId" placeholder="trace id" value=${f.traceId ?? ''} onInput=${field('traceId')} />
    <input name="text" placeholder="text" value=${f.text ?? ''} onInput=${field('text')} />
    <label><input type="checkbox" name="probes" checked=${f.probes === 'true'}
      onChange=${(e: Event) => set({ ...f, probes: (e.target as HTMLInputElement).checked ? 'true' : undefined })} /> health probes</label>
  </form>`
}

function Row({ e, filter }: { e: LogEntry; filter: (f: Filters) => void }) {
  return html`<tr data-level=${e.level} data-process=${e.process} data-trace-id=${e.traceId ?? ''}>
    <td class="mono">${new Date(e.time).toLocaleTimeString()}</td><td>${e.process}</td>
    <td class=${e.level === 'error' || e.level === 'fatal' ? 'error' : ''}>${e.level}</td>
    <td>${e.msg} <span class="mono muted">${e.fields}</span></td>
    <td class="mono">${
      e.requestId
        ? html`<a href="#" onClick=${(ev: Event) => {
            ev.preventDefault()
            filter({ requestId: e.requestId })
          }}>${e.requestId.slice(0, 12)}</a>`
        : ''
    }</td>
    <td class="mono">${e.traceId ? html`<a href=${`/_dev/traces/${e.traceId}`}>${e.traceId.slice(0, 12)}…</a>` : ''}</td>
  </tr>`
}

/** The Logs page. */
export function LogsPage() {
  const [filters, setFilters] = useState<Filters>(queryState())
  const [rows, setRows] = useState<LogEntry[]>([])
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    setQueryState(filters)
    const q = new URLSearchParams({ limit: '500' })
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v)
    let stale = false
    getJson<LogEntry[]>(`/_dev/api/logs?${q}`).then(
      (r) => !stale && setRows(r),
      (e: Error) => setError(e.message),
    )
    const off = onLive<LogEntry[]>('logs', (batch) => {
      const fresh = batch.filter((e) => matches(e, filters))
      if (fresh.length) setRows((r) => [...r, ...fresh].slice(-MAX_ROWS))
    })
    return () => {
      stale = true
      off()
    }
  }, [JSON.stringify(filters)])
  return html`<div>
    <${FilterBar} f=${filters} set=${setFilters} />
    ${error ? html`<p class="error">${error}</p>` : null}
    <p class="muted">${rows.length} lines${rows.length >= MAX_ROWS ? ' (the latest)' : ''}</p>
    <table id="logs"><thead><tr><th>time</th><th>process</th><th>level</th><th>message</th><th>request</th><th>trace</th></tr></thead>
      <tbody>${rows.toReversed().map((e) => html`<${Row} key=${e.seq} e=${e} filter=${setFilters} />`)}</tbody></table>
  </div>`
}
