/**
 * The dashboard's Topology: every process the harness runs, joined with what
 * Consul says of each service instance (its checks) and what the gateway says
 * (outstanding requests, ejection, breaker, panic), and the Kafka topics and
 * consumer groups with their lag. Instances are matched across the three by
 * `host:port`. Each source is read with a short timeout; one that does not
 * answer is marked unreachable and the rest still shows.
 */
import type { GroupInfo, KafkaInspector, TopicInfo } from '@civildiy/kit'
import { worstStatus } from '../check/discovery.ts'
import type { EventFlow } from '../traces/otlp-receiver.ts'
import type { ProcessStatus } from '../up/supervisor.ts'

/** The gateway's view of one instance (GET /gateway/routes). */
export interface GatewayInstanceView {
  outstanding: number
  ejected: boolean
  breaker: string
  consecutiveFailures: number
  lastFailureReason?: string
}

export interface InstanceView {
  /** The harness process, when the harness runs it. */
  process: string | null
  /** Consul's service ID, when registered. */
  consulId: string | null
  url: string
  pid: number | null
  /** The supervisor's state, or `external` for an instance the harness does not run. */
  state: string
  restarts: number
  lastExit: string | null
  /** The worst of its Consul checks, or `absent` when not registered. */
  consul: 'passing' | 'warning' | 'critical' | 'absent'
  gateway: GatewayInstanceView | null
  /** `down`: not running, or failing in Consul; `degraded`: a warning, ejected or breaker open. */
  health: 'ok' | 'degraded' | 'down'
}

export interface ServiceView {
  name: string
  instances: InstanceView[]
  /** The gateway's route prefix for it, if routed. */
  route: string | null
  panic: boolean | null
  /** Its OpenAPI document (first instance). */
  docs: string | null
}

export interface Topology {
  at: number
  services: ServiceView[]
  servers: Pick<ProcessStatus, 'name' | 'url' | 'state' | 'pid' | 'restarts'>[]
  sources: { consul: string | null; gateway: string | null; kafka: string | null }
  topics: TopicInfo[]
  groups: GroupInfo[]
  flows: { from: string; to: string; kind: 'request' | 'event'; label: string }[]
}

export interface StackViewSources {
  status(): ProcessStatus[]
  consul: string
  /** The gateway's base URL (its /gateway/routes answers loopback clients). */
  gateway: string
  kafka: KafkaInspector | null
  /** Producer and consumer edges seen in traces. */
  eventFlows(): EventFlow[]
  services: readonly string[]
}

interface ConsulEntry {
  Service: { ID: string; Address: string; Port: number }
  Checks: { Status: string }[]
}
interface GatewayRoute {
  prefix: string
  service: string
  panic: boolean
  instances: ({ id: string; url: string } & GatewayInstanceView)[]
}

const hostPort = (url: string) => {
  try {
    const u = new URL(url.includes('://') ? url : `http://${url}`)
    return `${u.hostname}:${u.port}`
  } catch {
    return url
  }
}

const hex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex')

/**
 * A W3C traceparent whose sampled flag is off: the dashboard's own polling of the
 * stack is not traced (parent-based samplers follow it), so it does not bury the
 * traces a user is looking for. Source: w3.org/TR/trace-context/#trace-flags
 */
export const unsampled = () => ({ traceparent: `00-${hex(16)}-${hex(8)}-00` })

async function getJson<T>(url: string, timeoutMs = 1_500): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: unsampled() })
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return (await res.json()) as T
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Reads Consul, the gateway and Kafka concurrently; failures become `sources` notes. */
async function readSources(s: StackViewSources) {
  const sources: Topology['sources'] = { consul: null, gateway: null, kafka: null }
  const consul = new Map<string, ConsulEntry[]>()
  const [routes, kafka] = await Promise.all([
    getJson<GatewayRoute[]>(`${s.gateway}/gateway/routes`).catch((err) => {
      sources.gateway = messageOf(err)
      return [] as GatewayRoute[]
    }),
    (async () => {
      if (!s.kafka) return { topics: [], groups: [] }
      const topics = await s.kafka.topics()
      return { topics, groups: await s.kafka.groups(topics) }
    })().catch((err) => {
      sources.kafka = messageOf(err)
      return { topics: [] as TopicInfo[], groups: [] as GroupInfo[] }
    }),
    Promise.all(
      s.services.map(async (name) =>
        consul.set(name, await getJson<ConsulEntry[]>(`${s.consul}/v1/health/service/${name}`)),
      ),
    ).catch((err) => {
      sources.consul = messageOf(err)
    }),
  ])
  return { sources, consul, routes, ...kafka }
}

function healthOf(i: Omit<InstanceView, 'health'>): InstanceView['health'] {
  if ((i.state !== 'running' && i.state !== 'external') || i.consul === 'critical') return 'down'
  if (i.consul !== 'passing' || i.gateway?.ejected || (i.gateway && i.gateway.breaker !== 'closed'))
    return 'degraded'
  return 'ok'
}

/** One service's instances: the processes the harness runs plus any other Consul registration. */
function instancesOf(
  name: string,
  processes: ProcessStatus[],
  entries: ConsulEntry[],
  route: GatewayRoute | undefined,
): InstanceView[] {
  const byAddress = new Map<string, Omit<InstanceView, 'health'>>()
  for (const p of processes.filter((x) => x.name === name || x.name.startsWith(`${name}-`)))
    byAddress.set(hostPort(p.url), {
      process: p.name,
      consulId: null,
      url: p.url,
      pid: p.pid,
      state: p.state,
      restarts: p.restarts,
      lastExit: p.lastExit,
      consul: 'absent',
      gateway: null,
    })
  // A crashed instance cannot deregister: until Consul reaps it, its old registration
  // (critical) sits at the same address as the new one. The best status is the live one.
  const rank: Record<string, number> = { passing: 0, warning: 1, critical: 2 }
  const sorted = [...entries].sort(
    (a, b) => (rank[worstStatus(b.Checks)] ?? 3) - (rank[worstStatus(a.Checks)] ?? 3),
  )
  for (const e of sorted) {
    const key = `${e.Service.Address}:${e.Service.Port}`
    const known = byAddress.get(key) ?? {
      process: null,
      url: `http://${key}`,
      pid: null,
      state: 'external',
      restarts: 0,
      lastExit: null,
      gateway: null,
    }
    byAddress.set(key, {
      ...known,
      consulId: e.Service.ID,
      consul: worstStatus(e.Checks) as InstanceView['consul'],
    })
  }
  for (const g of route?.instances ?? []) {
    const known = byAddress.get(hostPort(g.url))
    if (known) {
      const { id: _id, url: _url, ...view } = g
      known.gateway = view
    }
  }
  return [...byAddress.values()].map((i) => ({ ...i, health: healthOf(i) }))
}

/**
 * One reading of the whole stack.
 * @example const topology = await readTopology({ status: () => sup.status(), consul, gateway, kafka, eventFlows, services })
 */
export async function readTopology(s: StackViewSources): Promise<Topology> {
  const processes = s.status()
  const { sources, consul, routes, topics, groups } = await readSources(s)
  const services: ServiceView[] = s.services.map((name) => {
    const route = routes.find((r) => r.service === name)
    const instances = instancesOf(name, processes, consul.get(name) ?? [], route)
    return {
      name,
      instances,
      route: route?.prefix ?? null,
      panic: route ? route.panic : null,
      docs: instances[0] ? `${instances[0].url}/openapi` : null,
    }
  })
  const prefixes = new Map<string, string[]>()
  for (const r of routes) prefixes.set(r.service, [...(prefixes.get(r.service) ?? []), r.prefix])
  const flows: Topology['flows'] = [...prefixes].map(([service, list]) => ({
    from: 'gateway',
    to: service,
    kind: 'request',
    label: list.length > 2 ? `${list.slice(0, 2).join(' ')} +${list.length - 2}` : list.join(' '),
  }))
  for (const f of s.eventFlows()) flows.push({ ...f, kind: 'event', label: '' })
  for (const g of groups)
    for (const topic of new Set(g.lag.map((l) => l.topic)))
      if (!flows.some((f) => f.from === topic && f.kind === 'event'))
        flows.push({ from: topic, to: g.groupId, kind: 'event', label: 'consumer group' })
  return {
    at: Date.now(),
    services,
    servers: processes
      .filter((p) => p.kind === 'server')
      .map(({ name, url, state, pid, restarts }) => ({ name, url, state, pid, restarts })),
    sources,
    topics,
    groups,
    flows,
  }
}
