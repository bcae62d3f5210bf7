/**
 * One trace as a waterfall: spans in call order (each under its parent), bars
 * on one timeline from the first span's start, so the HTTP hops and the Kafka
 * hop (producer span, gap in the broker, consumer span) read as one flow. A span
 * opens its attributes on click; the header links to the trace's log lines.
 */
import { useEffect, useState } from 'preact/hooks'
import type { StoredSpan } from '../../traces/otlp-receiver.ts'
import { getJson } from './api.ts'
import { html } from './html.ts'
import { componentsOf, KIND_NAMES, laneColor, peerOf } from './lanes.ts'
import { onLive } from './live.ts'

/** Spans depth-first from the roots, children by start time, with their depth. */
function inCallOrder(spans: StoredSpan[]) {
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string, StoredSpan[]>()
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : ''
    children.set(parent, [...(children.get(parent) ?? []), s])
  }
  const out: { span: StoredSpan; depth: number }[] = []
  const visit = (parent: string, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      out.push({ span: s, depth })
      visit(s.spanId, depth + 1)
    }
  }
  visit('', 0)
  return out
}

function SpanRow({
  span,
  depth,
  t0,
  total,
}: {
  span: StoredSpan
  depth: number
  t0: number
  total: number
}) {
  const [open, setOpen] = useState(false)
  const peer = peerOf(span)
  const left = ((span.startMs - t0) / total) * 100
  const width = Math.max(0.3, ((span.endMs - span.startMs) / total) * 100)
  return html`<div class="row" data-span=${span.name} data-service=${span.service} data-lane=${peer ?? span.service} onClick=${() => setOpen(!open)}>
    <div class="name" style=${`padding-left:${depth * 14}px`} title=${span.name}>
      <span class="lane" style=${`background:${laneColor(span.service)}`}>${span.service}</span>
      ${peer ? html`<span class="lane" style=${`background:${laneColor(peer)}`}>${peer}</span>` : null}
      <span class=${span.error ? 'error' : ''}>${span.name}</span>
      <span class="muted"> ${KIND_NAMES[span.kind] ?? ''}</span>
    </div>
    <div class="bar"><span style=${`left:${left}%;width:${width}%;background:${span.error ? '#dc2626' : laneColor(peer ?? span.service)}`}></span></div>
    <div>${(span.endMs - span.startMs).toFixed(2)} ms</div>
    ${open ? html`<div class="attrs mono">${Object.entries(span.attributes).map(([k, v]) => html`<div>${k} = ${String(v)}</div>`)}</div>` : null}
  </div>`
}

/** The page of one trace. */
export function WaterfallPage({ traceId }: { traceId: string }) {
  const [spans, setSpans] = useState<StoredSpan[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    const load = () =>
      getJson<StoredSpan[]>(`/_dev/api/traces/${traceId}`).then(setSpans, (e: Error) =>
        setError(e.message),
      )
    load()
    // Spans of a trace keep arriving (the consumer's come after the broker hop).
    return onLive<string[]>('traces', (ids) => ids.includes(traceId) && void load())
  }, [traceId])
  if (error) return html`<p class="error">${error}</p>`
  if (!spans) return html`<p class="muted">loading…</p>`
  if (spans.length === 0)
    return html`<p class="muted">No spans for ${traceId} (yet, or no longer kept).</p>`
  const t0 = Math.min(...spans.map((s) => s.startMs))
  const total = Math.max(...spans.map((s) => s.endMs)) - t0 || 1
  const components = componentsOf(spans)
  return html`<div>
    <p><a href="/_dev/traces">← traces</a> · trace <span class="mono">${traceId}</span> · ${total.toFixed(1)} ms · ${spans.length} spans ·
      <a href=${`/_dev/logs?traceId=${traceId}`}>log lines of this trace</a></p>
    <p id="components" data-components=${components.join(',')}>Touches: ${components.map((c) => html`<span class="lane" style=${`background:${laneColor(c)}`}>${c}</span>`)}</p>
    <div class="card waterfall" id="waterfall">${inCallOrder(spans).map(
      ({ span, depth }) =>
        html`<${SpanRow} key=${span.spanId} span=${span} depth=${depth} t0=${t0} total=${total} />`,
    )}</div>
  </div>`
}
