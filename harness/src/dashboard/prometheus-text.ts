/**
 * Reads the samples of a Prometheus text exposition (what every service's
 * `/metrics` serves): `name{label="value",...} value` lines; comments and
 * timestamps are skipped. Written here because the dashboard needs only the
 * samples, and the npm parsers for this format are unmaintained.
 * Source: prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export interface MetricSample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

const unescapeLabel = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))

/**
 * @example parsePrometheusText('a_total{x="1"} 3\n') // [{ name: 'a_total', labels: { x: '1' }, value: 3 }]
 */
export function parsePrometheusText(text: string): MetricSample[] {
  const out: MetricSample[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const m = LINE.exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = unescapeLabel(l[2]!)
    const raw = m[3]!
    const value =
      raw === '+Inf'
        ? Number.POSITIVE_INFINITY
        : raw === '-Inf'
          ? Number.NEGATIVE_INFINITY
          : Number(raw)
    out.push({ name: m[1]!, labels, value })
  }
  return out
}
