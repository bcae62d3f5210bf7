/**
 * Checks: run `harness check`, `doctor` or a drill against the stack from the
 * page and follow its output; the run's HTML report opens when it is done. Lists
 * each service's API docs.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { RunState } from '../../dashboard/command-runs.ts'
import type { Topology } from '../../dashboard/stack-view.ts'
import { getJson, postJson } from './api.ts'
import { html } from './html.ts'
import { onLive, useLive } from './live.ts'

type RunSummary = Omit<RunState, 'output'>

/** The Checks page. */
export function ChecksPage({ drills }: { drills: string[] }) {
  const [run, setRun] = useState<RunSummary | null>(null)
  const [lines, setLines] = useState<string[]>([])
  const [error, setError] = useState<string | null>(null)
  const [drill, setDrill] = useState(drills[0] ?? '')
  const topology = useLive<Topology>('topology')
  const out = useRef<HTMLPreElement>(null)
  useEffect(() => {
    getJson<RunState | null>('/_dev/api/runs/current').then(
      (r) => {
        if (!r) return
        setRun(r)
        setLines(r.output)
      },
      (e: Error) => setError(e.message),
    )
    return onLive<{ run: RunSummary; line: string | null }>('run', ({ run: r, line }) => {
      setRun((prev) => {
        if (prev?.id !== r.id) setLines([])
        return r
      })
      if (line !== null) setLines((l) => [...l, line].slice(-2_000))
    })
  }, [])
  useEffect(() => {
    if (out.current) out.current.scrollTop = out.current.scrollHeight
  }, [lines])
  const start = (kind: string, name?: string) => {
    setError(null)
    setLines([])
    postJson<RunSummary>('/_dev/api/runs', { kind, ...(name ? { drill: name } : {}) }).then(
      setRun,
      (e: Error) => setError(e.message),
    )
  }
  const busy = run?.state === 'running'
  return html`<div>
    <div class="card filters">
      <button id="run-check" disabled=${busy} onClick=${() => start('check')}>Run check</button>
      <button id="run-doctor" disabled=${busy} onClick=${() => start('doctor')}>Run doctor</button>
      <select value=${drill} onChange=${(e: Event) => setDrill((e.target as HTMLSelectElement).value)}>${drills.map((d) => html`<option value=${d}>${d}</option>`)}</select>
      <button id="run-drill" disabled=${busy} onClick=${() => start('drill', drill)}>Run drill (short)</button>
    </div>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${
      run
        ? html`<p id="run-state" data-state=${run.state}><span class="mono">${run.command}</span>: <b class=${run.state === 'failed' ? 'error' : ''}>${run.state}</b>
        ${run.report && run.state !== 'running' ? html` · <a id="run-report" href=${`/_dev/reports/${run.report}`} target="_blank">HTML report</a>` : null}</p>
      <pre class="output" ref=${out}>${lines.join('\n')}</pre>`
        : html`<p class="muted">Nothing has run yet.</p>`
    }
    <h2>API docs</h2>
    <ul>${(topology?.services ?? []).filter((s) => s.docs).map((s) => html`<li><a href=${s.docs} target="_blank">${s.name}</a> <span class="mono muted">${s.docs}</span></li>`)}</ul>
  </div>`
}
