/**
 * The topology as a diagram: the gateway, the services and the Kafka topics in
 * three columns; request flows (gateway → service, labelled with the route) in
 * blue, event flows (producer → topic, topic → consumer) in orange, consumer
 * edges dashed. Nodes take the colour of their worst instance.
 */
import type { ServiceView, Topology } from '../../dashboard/stack-view.ts'
import { html } from './html.ts'

const COLOR = { ok: '#16a34a', degraded: '#d97706', down: '#dc2626', none: '#9ca3af' }
const W = 1100
const NODE_W = 170
const NODE_H = 44
const COLS = [40, 440, 860]

function worst(s: ServiceView): keyof typeof COLOR {
  if (s.instances.length === 0) return 'none'
  if (s.instances.every((i) => i.health === 'down')) return 'down'
  if (s.instances.some((i) => i.health !== 'ok')) return 'degraded'
  return 'ok'
}

interface Node {
  id: string
  x: number
  y: number
  label: string
  sub: string
  color: string
}

function layout(t: Topology) {
  const gateway = t.services.find((s) => s.name === 'gateway')
  const others = t.services.filter((s) => s.name !== 'gateway')
  const rows = Math.max(others.length, t.topics.length, 1)
  const height = rows * 70 + 40
  const nodes = new Map<string, Node>()
  const at = (col: number, i: number, n: number) => ({
    x: COLS[col]!,
    y: 20 + ((i + 0.5) * (height - 40)) / n - NODE_H / 2,
  })
  if (gateway)
    nodes.set('gateway', {
      id: 'gateway',
      ...at(0, 0, 1),
      label: 'gateway',
      sub: `${gateway.instances.length} instance(s)`,
      color: COLOR[worst(gateway)],
    })
  for (const [i, s] of others.entries())
    nodes.set(s.name, {
      id: s.name,
      ...at(1, i, others.length),
      label: s.name,
      sub: `${s.instances.filter((x) => x.health === 'ok').length}/${s.instances.length} healthy`,
      color: COLOR[worst(s)],
    })
  for (const [i, topic] of t.topics.entries())
    nodes.set(topic.name, {
      id: topic.name,
      ...at(2, i, t.topics.length),
      label: topic.name,
      sub: `${topic.partitions.length} partitions · ${topic.messages} msgs`,
      color: topic.name.endsWith('.dlq') ? COLOR.down : '#7c3aed',
    })
  return { nodes, height }
}

/** The consumer-group lag on a topic, summed over partitions. */
const lagOf = (t: Topology, topic: string) =>
  t.groups.flatMap((g) => g.lag.filter((l) => l.topic === topic)).reduce((n, l) => n + l.lag, 0)

function edge(t: Topology, nodes: Map<string, Node>, f: Topology['flows'][number], i: number) {
  const from = nodes.get(f.from)
  const target =
    nodes.get(f.to) ?? [...nodes.values()].find((n) => f.to.startsWith(n.id) && n.x === COLS[1])
  if (!from || !target) return null
  const backwards = target.x < from.x
  const x1 = backwards ? from.x : from.x + NODE_W
  const x2 = backwards ? target.x + NODE_W : target.x
  const y1 = from.y + NODE_H / 2 + (backwards ? 8 : 0)
  const y2 = target.y + NODE_H / 2 + (backwards ? 8 : 0)
  const bend = backwards ? -60 : 60
  const color = f.kind === 'request' ? '#2563eb' : '#ea580c'
  const label = f.kind === 'request' ? f.label : backwards ? `lag ${lagOf(t, f.from)}` : ''
  return html`<g key=${`e${i}`} data-flow=${`${f.from}>${f.to}`}>
    <path d=${`M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`} fill="none" stroke=${color}
      stroke-width="2" stroke-dasharray=${backwards ? '6 4' : ''} marker-end=${`url(#arrow-${f.kind})`} />
    ${label ? html`<text x=${x1 + (x2 - x1) * (backwards ? 0.8 : 0.55)} y=${y1 + (y2 - y1) * (backwards ? 0.8 : 0.55) - 6} fill=${color} text-anchor="middle">${label}</text>` : null}
  </g>`
}

/** @example html`<${TopologyDiagram} topology=${t} />` */
export function TopologyDiagram({ topology: t }: { topology: Topology }) {
  const { nodes, height } = layout(t)
  return html`<svg viewBox=${`0 0 ${W} ${height}`} width="100%" style=${`max-width:${W}px`} role="img" aria-label="topology">
    <defs>
      ${['request', 'event'].map(
        (
          k,
        ) => html`<marker id=${`arrow-${k}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill=${k === 'request' ? '#2563eb' : '#ea580c'} /></marker>`,
      )}
    </defs>
    ${t.flows.map((f, i) => edge(t, nodes, f, i))}
    ${[...nodes.values()].map(
      (n) => html`<g key=${n.id} data-node=${n.id}>
        <rect x=${n.x} y=${n.y} width=${NODE_W} height=${NODE_H} rx="6" fill="#fff" stroke=${n.color} stroke-width="3" />
        <text x=${n.x + 10} y=${n.y + 18} font-weight="600">${n.label}</text>
        <text x=${n.x + 10} y=${n.y + 35} fill="#6b7280">${n.sub}</text>
      </g>`,
    )}
  </svg>`
}
