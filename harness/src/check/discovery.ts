/**
 * Discovery check: every expected service is registered in Consul and passing,
 * and every registered Address:Port answers from where the harness runs. A
 * registered-but-unreachable instance is the classic container networking fault
 * (the service advertised an address only it can reach) and is reported as such.
 */
import { httpGet, isLoopback, type ProbeTls, tcpConnect } from './probes.ts'

export interface InstanceReport {
  service: string
  id: string
  address: string
  port: number
  consulStatus: string
  tcp: { ok: boolean; ms: number; failure?: string }
  health?: { ok: boolean; status?: number; ms: number }
}

export interface DiscoveryReport {
  ok: boolean
  instances: InstanceReport[]
  failures: string[]
}

interface HealthEntry {
  Node: { Address: string }
  Service: { ID: string; Address: string; Port: number; Meta?: Record<string, string> }
  Checks: { Status: string }[]
}

/** The worst status among checks: critical > warning > passing. */
export function worstStatus(checks: { Status: string }[]): string {
  if (checks.some((c) => c.Status === 'critical')) return 'critical'
  if (checks.some((c) => c.Status === 'warning')) return 'warning'
  return 'passing'
}

/**
 * @example const r = await checkDiscovery('http://127.0.0.1:8500', ['auth', 'feed'])
 */
export async function checkDiscovery(
  consul: string,
  services: readonly string[],
  o: {
    timeoutMs?: number
    token?: string
    /** For instances registered as HTTPS: the CA, and a client certificate if they require one. */
    tls?: ProbeTls
  } = {},
): Promise<DiscoveryReport> {
  const failures: string[] = []
  const instances: InstanceReport[] = []
  await Promise.all(
    services.map(async (service) => {
      let entries: HealthEntry[]
      try {
        const res = await fetch(`${consul}/v1/health/service/${service}`, {
          signal: AbortSignal.timeout(o.timeoutMs ?? 3_000),
          headers: o.token ? { 'x-consul-token': o.token } : {},
        })
        if (res.status === 403)
          throw new Error(
            '403 from Consul: ACLs are on; pass --consul-token or set CONSUL_HTTP_TOKEN',
          )
        entries = (await res.json()) as HealthEntry[]
      } catch (err) {
        failures.push(
          `consul at ${consul} did not answer for ${service}: ${(err as Error).message}`,
        )
        return
      }
      if (entries.length === 0) {
        failures.push(`${service}: not registered in Consul`)
        return
      }
      const passing = entries.filter((e) => worstStatus(e.Checks) === 'passing')
      if (passing.length === 0)
        failures.push(`${service}: registered but no instance is passing its health check`)
      for (const e of entries) {
        const address = e.Service.Address || e.Node.Address
        const port = e.Service.Port
        const tcp = await tcpConnect(address, port, o.timeoutMs ?? 2_000)
        const host = address.includes(':') ? `[${address}]` : address
        // What the instance registered it speaks (the kit's meta.scheme).
        const scheme = e.Service.Meta?.scheme === 'https' ? 'https' : 'http'
        const health = tcp.ok
          ? await httpGet(`${scheme}://${host}:${port}/health/ready`, undefined, o.tls)
          : undefined
        const consulStatus = worstStatus(e.Checks)
        instances.push({ service, id: e.Service.ID, address, port, consulStatus, tcp, health })
        if (!tcp.ok) {
          const hint = isLoopback(address)
            ? ' It registered a loopback address: set ADVERTISE_ADDRESS to an address other hosts and containers reach (the service name or container IP).'
            : ` Check routes, firewalls and that ADVERTISE_ADDRESS is reachable from here.`
          failures.push(
            `${service} ${e.Service.ID}: registered at ${address}:${port} (Consul says ${consulStatus}) but unreachable from here: ${tcp.failure}.${hint}`,
          )
        } else if (health && !health.ok) {
          const tlsHint =
            scheme === 'https' && health.status === undefined
              ? ` (${health.error}). It speaks HTTPS: pass --tls-ca (the CA that signs it) and, if it requires client certificates, --tls-cert and --tls-key`
              : ''
          failures.push(
            `${service} ${e.Service.ID}: ${address}:${port} accepts connections but /health/ready answered ${health.status ?? 'nothing'}${tlsHint}`,
          )
        }
      }
    }),
  )
  instances.sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id))
  return { ok: failures.length === 0, instances, failures }
}
