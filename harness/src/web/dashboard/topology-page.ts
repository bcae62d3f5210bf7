/**
 * Topology: the diagram, then every instance with its process state, Consul
 * health and the gateway's view of it (with kill/restart/clone buttons, to
 * watch the stack react), the embedded servers, and the Kafka topics and
 * consumer groups with their lag.
 */
import { useEffect, useState } from 'preact/hooks'
import type { InstanceView, ServiceView, Topology } from '../../dashboard/stack-view.ts'
import { getJson, postJson } from './api.ts'
import { html } from './html.ts'
import { useLive } from './live.ts'
import { TopologyDiagram } from './topology-diagram.ts'

function gatewayCell(i: InstanceView) {
  const g = i.gateway
  if (!g) return html`<span class="muted">-</span>`
  return html`${g.outstanding} in flight${g.ejected ? html`, <span class="error">ejected</span>` : ''}${
    g.breaker !== 'closed' ? html`, breaker <span class="error">${g.breaker}</span>` : ''
  }${g.lastFailureReason ? html`<div class="muted">${g.lastFailureReason}</div>` : ''}`
}

function Actions({ i, onError }: { i: InstanceView; onError: (m: string) => void }) {
  if (!i.process) return null
  const act = (action: string) =>
    postJson(`/_dev/api/processes/${encodeURIComponent(i.process!)}/${action}`).catch((e: Error) =>
      onError(e.message),
    )
  const clone = /-\d+$/.test(i.process)
  return html`<button onClick=${() => act('kill')} title="SIGKILL, as a crash">kill</button>
    <button onClick=${() => act('restart')}>restart</button>
    ${clone ? html`<button onClick=${() => act('remove')}>remove</button>` : html`<button onClick=${() => act('clone')} title="one more instance">clone</button>`}`
}

function InstanceRows({ s, onError }: { s: ServiceView; onError: (m: string) => void }) {
  if (s.instances.length === 0)
    return html`<tr data-service=${s.name}><td>${s.name}</td><td colspan="8" class="error">no instance</td></tr>`
  return s.instances.map(
    (
      i,
    ) => html`<tr data-service=${s.name} data-instance=${i.process ?? i.consulId} data-health=${i.health}>
      <td>${s.name}${s.panic ? html` <span class="error">panic</span>` : ''}</td>
      <td class="mono">${i.process ?? i.consulId}</td><td class="mono">${i.url}</td>
      <td>${i.pid ?? '-'}</td><td>${i.state}${i.restarts ? ` (${i.restarts} restarts${i.lastExit ? `, last ${i.lastExit}` : ''})` : ''}</td>
      <td>${i.consul}</td><td>${gatewayCell(i)}</td>
      <td><span class=${`health ${i.health}`}>${i.health}</span></td>
      <td><${Actions} i=${i} onError=${onError} /> ${s.docs ? html`<a href=${s.docs} target="_blank">API docs</a>` : ''}</td>
    </tr>`,
  )
}

function KafkaTables({ t }: { t: Topology }) {
  return html`<div class="grid2">
    <div><h2>Topics</h2><table><thead><tr><th>topic</th><th>partitions</th><th>messages</th></tr></thead><tbody>
      ${t.topics.map((x) => html`<tr data-topic=${x.name}><td class="mono">${x.name}</td><td>${x.partitions.length}</td><td>${x.messages}</td></tr>`)}
    </tbody></table></div>
    <div><h2>Consumer groups</h2><table><thead><tr><th>group</th><th>state</th><th>members</th><th>lag by topic</th></tr></thead><tbody>
      ${t.groups.map((g) => {
        const byTopic = new Map<string, number>()
        for (const l of g.lag) byTopic.set(l.topic, (byTopic.get(l.topic) ?? 0) + l.lag)
        return html`<tr data-group=${g.groupId}><td class="mono">${g.groupId}</td><td>${g.state}</td><td>${g.members.map((m) => m.clientId).join(', ') || '-'}</td>
          <td>${[...byTopic].map(([topic, lag]) => html`<div>${topic}: <b>${lag}</b></div>`)}</td></tr>`
      })}
    </tbody></table></div>
  </div>`
}

/** The Topology page. */
export function TopologyPage() {
  const live = useLive<Topology>('topology')
  const [first, setFirst] = useState<Topology | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    getJson<Topology>('/_dev/api/topology').then(setFirst, (e: Error) => setError(e.message))
  }, [])
  const t = live ?? first
  if (!t) return html`<p class="muted">${error ?? 'reading the stack…'}</p>`
  const notes = Object.entries(t.sources).filter(([, v]) => v)
  return html`<div>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${notes.map(([k, v]) => html`<p class="error">${k}: ${v}</p>`)}
    <div class="card"><${TopologyDiagram} topology=${t} />
      <div class="muted">Blue: requests through the gateway. Orange: events (solid: published, dashed: consumed, with the group's lag). Event flows appear as they are traced.</div></div>
    <h2>Service instances</h2>
    <table id="instances"><thead><tr><th>service</th><th>instance</th><th>address</th><th>pid</th><th>process</th><th>Consul</th><th>gateway's view</th><th>health</th><th></th></tr></thead>
      <tbody>${t.services.map((s) => html`<${InstanceRows} s=${s} onError=${setError} />`)}</tbody></table>
    <h2>Servers</h2>
    <table><thead><tr><th>server</th><th>address</th><th>pid</th><th>state</th><th>restarts</th></tr></thead><tbody>
      ${t.servers.map((s) => html`<tr data-server=${s.name}><td>${s.name}</td><td class="mono">${s.url}</td><td>${s.pid ?? '-'}</td><td>${s.state}</td><td>${s.restarts}</td></tr>`)}
    </tbody></table>
    <${KafkaTables} t=${t} />
    <p class="muted">Read ${new Date(t.at).toLocaleTimeString()}</p>
  </div>`
}
