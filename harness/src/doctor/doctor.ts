/**
 * The network doctor: from wherever it runs (a host, the gateway's container, an
 * LXC guest), checks that every registered instance and every server the stack
 * uses can actually be reached from here, and explains the faults container
 * networking produces: loopback or unroutable registered addresses, names that do
 * not resolve, Kafka advertised listeners clients cannot reach, MTU black holes,
 * clock skew that breaks JWT `exp`/`nbf`.
 */
import { httpGet, isLoopback, type ProbeTls, tcpConnect } from '../check/probes.ts'
import { resolveName } from './dns.ts'
import { describeEnvironment, type Environment } from './environment.ts'
import { advertisedBrokers } from './kafka-metadata.ts'

export interface DoctorCheck {
  target: string
  check: string
  ok: boolean
  detail: string
  /** One line saying what to change, for failures. */
  fix?: string
}

export interface DoctorReport {
  ok: boolean
  environment: Environment
  checks: DoctorCheck[]
}

export interface DoctorOptions {
  consul: string
  /** A Consul ACL token that may read the catalog (a stack with ACLs on). */
  consulToken?: string
  /** For instances registered as HTTPS (`meta.scheme`): the CA, and a client certificate if they require one. */
  tls?: ProbeTls
  gateway?: string
  /** Kafka bootstrap servers, host:port[,host:port]. */
  kafka?: string
  /** Other servers as URLs (mongodb://, postgres://, redis://). */
  servers?: Record<string, string>
  expected: readonly string[]
  timeoutMs?: number
  /** Allowed clock difference in seconds (the JWT leeway). Default 5. */
  maxSkewSec?: number
}

/** host and port of a URL or host:port, with a default port. */
export function hostPort(target: string, defaultPort: number): { host: string; port: number } {
  const url = new URL(target.includes('://') ? target : `tcp://${target}`)
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || defaultPort),
  }
}

/**
 * Runs every check; a failing check never throws.
 * @example const report = await runDoctor({ consul: 'http://consul:8500', kafka: 'kafka:9092', expected: ['auth'] })
 */
export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = o.timeoutMs ?? 2_000
  const checks: DoctorCheck[] = []
  const add = (c: DoctorCheck) => checks.push(c)

  /** DNS then TCP to host:port; returns whether both worked. */
  const reach = async (
    target: string,
    host: string,
    port: number,
    context = '',
  ): Promise<boolean> => {
    const dns = await resolveName(host, timeoutMs)
    if (dns.source !== 'literal') {
      add({
        target,
        check: 'dns',
        ok: dns.ok,
        detail: dns.ok
          ? `${host} → ${dns.addresses.join(', ')} (${dns.source}, ${dns.ms.toFixed(1)} ms)`
          : `${host} does not resolve (${dns.error})${context}`,
        fix: dns.ok
          ? undefined
          : `make ${host} resolvable here (same user-defined network, /etc/hosts, or the resolver in resolv.conf), or register an IP instead`,
      })
      if (!dns.ok) return false
    }
    const tcp = await tcpConnect(host, port, timeoutMs)
    add({
      target,
      check: 'tcp',
      ok: tcp.ok,
      detail: tcp.ok
        ? `${host}:${port} connected in ${tcp.ms.toFixed(1)} ms`
        : `${host}:${port} unreachable: ${tcp.failure}${context}`,
      fix: tcp.ok
        ? undefined
        : isLoopback(host)
          ? `${host} is loopback: reachable only inside its own container; advertise the container's name or IP`
          : tcp.failure === 'no route'
            ? `no route to ${host} from here: put both on the same network or add a route`
            : tcp.failure === 'refused'
              ? `nothing listens on ${host}:${port}: is the service bound to 0.0.0.0 and the port published?`
              : `check firewalls and bridges between here and ${host}`,
    })
    return tcp.ok
  }

  // Consul itself and the clock.
  const consul = hostPort(o.consul, 8500)
  if (await reach('consul', consul.host, consul.port)) {
    const t0 = Date.now()
    const res = await fetch(`${o.consul}/v1/status/leader`).catch(() => null)
    const date = res?.headers.get('date')
    if (date) {
      const skewSec = (Date.parse(date) - (t0 + Date.now()) / 2) / 1000
      const ok = Math.abs(skewSec) <= (o.maxSkewSec ?? 5) + 1
      add({
        target: 'clock',
        check: 'skew vs consul',
        ok,
        detail: `${skewSec >= 0 ? '+' : ''}${skewSec.toFixed(1)} s (HTTP Date, 1 s resolution)`,
        fix: ok
          ? undefined
          : 'synchronise clocks (chrony/systemd-timesyncd): JWT exp/nbf checks allow 5 s',
      })
    }
  }

  // Every expected service and each of its registered instances.
  for (const service of o.expected) {
    let entries: {
      Node: { Address: string }
      Service: { ID: string; Address: string; Port: number; Meta?: Record<string, string> }
      Checks: { Status: string }[]
    }[]
    try {
      entries = (await (
        await fetch(`${o.consul}/v1/health/service/${service}`, {
          signal: AbortSignal.timeout(timeoutMs),
          headers: o.consulToken ? { 'x-consul-token': o.consulToken } : {},
        })
      ).json()) as typeof entries
    } catch (err) {
      add({
        target: service,
        check: 'consul',
        ok: false,
        detail: `catalog query failed: ${(err as Error).message}`,
      })
      continue
    }
    if (entries.length === 0) {
      add({
        target: service,
        check: 'registered',
        ok: false,
        detail: 'not registered in Consul',
        fix: `start ${service} with CONSUL_HTTP_ADDR pointing at this Consul`,
      })
      continue
    }
    for (const e of entries) {
      const address = e.Service.Address || e.Node.Address
      const port = e.Service.Port
      const target = `${service} ${e.Service.ID}`
      const passing = e.Checks.every((c) => c.Status === 'passing')
      const context = passing
        ? " although Consul's check passes: Consul reaches it, this network does not"
        : ''
      if (!(await reach(target, address, port, context))) continue
      const host = address.includes(':') ? `[${address}]` : address
      // What the instance registered it speaks (the kit's meta.scheme).
      const scheme = e.Service.Meta?.scheme === 'https' ? 'https' : 'http'
      const base = `${scheme}://${host}:${port}`
      const small = await httpGet(`${base}/health/live`, timeoutMs, o.tls)
      const large = small.ok ? await httpGet(`${base}/openapi/json`, timeoutMs * 2, o.tls) : null
      add({
        target,
        check: scheme,
        ok: small.ok,
        detail: small.ok
          ? `/health/live ${small.status} in ${small.ms.toFixed(1)} ms`
          : `/health/live: ${small.error ?? small.status}`,
        fix:
          !small.ok && scheme === 'https' && small.status === undefined
            ? 'the instance speaks HTTPS: pass --tls-ca (the CA that signs it) and, if it requires client certificates, --tls-cert and --tls-key'
            : undefined,
      })
      if (large) {
        const blackHole = !large.ok && large.status === undefined
        add({
          target,
          check: 'mtu',
          ok: !blackHole,
          detail: blackHole
            ? `small answers pass but a large one (/openapi/json) stalls: ${large.error}`
            : `large answer (/openapi/json) ${large.status} in ${large.ms.toFixed(1)} ms`,
          fix: blackHole
            ? 'MTU black hole: lower the MTU of the bridge/veth (e.g. 1450 on VXLAN/WireGuard) or allow ICMP "fragmentation needed"'
            : undefined,
        })
      }
    }
  }

  // Kafka: the bootstrap servers, then the listeners the brokers advertise.
  if (o.kafka) {
    const bootstrap = o.kafka.split(',').map((b) => hostPort(b.trim(), 9092))
    let anyBootstrap = false
    for (const b of bootstrap)
      anyBootstrap = (await reach('kafka bootstrap', b.host, b.port)) || anyBootstrap
    const first = bootstrap[0]!
    if (anyBootstrap) {
      try {
        const brokers = await advertisedBrokers(first.host, first.port, timeoutMs * 2)
        for (const b of brokers) {
          const same = bootstrap.some((x) => x.host === b.host && x.port === b.port)
          const ok =
            same || (await reach('kafka advertised', b.host, b.port, ` (bootstrap was ${o.kafka})`))
          add({
            target: 'kafka advertised',
            check: 'listener',
            ok,
            detail: `broker ${b.nodeId} advertises ${b.host}:${b.port}${same ? ' (the bootstrap address)' : ''}`,
            fix: ok
              ? undefined
              : 'the advertised listener differs from the bootstrap and clients here cannot reach it: set KAFKA_ADVERTISED_LISTENERS to a name clients resolve (e.g. PLAINTEXT://kafka:9092)',
          })
        }
      } catch (err) {
        add({
          target: 'kafka',
          check: 'metadata',
          ok: false,
          detail: `Metadata request to ${first.host}:${first.port} failed: ${(err as Error).message}`,
        })
      }
    }
  }

  const defaults: Record<string, number> = { mongo: 27017, postgres: 5432, redis: 6379 }
  for (const [name, url] of Object.entries(o.servers ?? {})) {
    let hp: { host: string; port: number }
    try {
      hp = hostPort(url, defaults[name] ?? 80)
    } catch {
      continue
    }
    await reach(name, hp.host, hp.port)
  }
  return { ok: checks.every((c) => c.ok), environment: describeEnvironment(), checks }
}
