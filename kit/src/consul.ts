/**
 * Registers a service instance with the local Consul agent: a unique id per
 * instance, the address other containers reach it at, an HTTP check on
 * `/health/ready` and DeregisterCriticalServiceAfter. A reconcile loop re-registers
 * when the agent forgot the service (agent restart); `deregister()` on shutdown.
 * Source: https://developer.hashicorp.com/consul/api-docs/agent/service
 */

import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { hostname, networkInterfaces } from 'node:os'
import type Consul from 'consul'
import type { Logger } from './logger.ts'

/**
 * A Consul client for `CONSUL_HTTP_ADDR` (host:port or URL), sending `token`
 * (`CONSUL_HTTP_TOKEN`, an ACL secret id) as `X-Consul-Token` on every request.
 */
export function consulClient(address: string, token?: string): Consul {
  const url = new URL(address.includes('://') ? address : `http://${address}`)
  // Required on first use, not imported: the client and node:http cost about 40 ms
  // of start-up, which a service pays after it listens (registration comes then).
  // The literal require() is what `bun build --compile` bundles; Deno has no
  // global require in ES modules, so it gets one from node:module.
  const Consul: typeof import('consul') =
    typeof require === 'function' ? require('consul') : createRequire(import.meta.url)('consul')
  return new Consul({
    host: url.hostname,
    port: Number(url.port || 8500),
    secure: url.protocol === 'https:',
    ...(token ? { defaults: { token } } : {}),
  })
}

/**
 * The address to advertise when none is configured: the first non-internal IPv4
 * address (what other hosts and containers can reach), else the host name. Never
 * loopback unless told: a loopback address in Consul is the classic
 * "registered but unreachable" fault.
 */
export function defaultAdvertiseAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return hostname()
}

export interface ConsulRegistration {
  /** The instance's service id. Default `<name>-<8 random hex digits>`. */
  id?: string
  name: string
  address: string
  port: number
  tags?: string[]
  meta?: Record<string, string>
  /** Path of the HTTP check. Default `/health/ready`. */
  checkPath?: string
  /** Check interval, Go duration. Default `2s`. */
  interval?: string
  /** Check timeout. Default `1s`. */
  timeout?: string
  /** Consul deregisters an instance critical this long. Default `1m` (Consul's minimum). */
  deregisterCriticalServiceAfter?: string
  /** How often to confirm the agent still knows the service, ms. Default 5000. */
  reconcileIntervalMs?: number
  /** What the instance speaks (registered as `meta.scheme`, which the gateway reads). Default http. */
  scheme?: 'http' | 'https'
  /**
   * Readiness reported by the instance itself on a TTL check instead of an HTTP
   * check by the agent: what an HTTPS instance does, since the agent would need
   * the private CA (and, with mutual TLS, a client certificate) to call it.
   * Called every `interval`; the TTL is three intervals.
   */
  selfCheck?: () => Promise<{ ok: boolean; note: string }>
}

export interface RegisteredService {
  /** This instance's service id, e.g. `auth-3f2a9c1b`. */
  id: string
  deregister(): Promise<void>
}

/**
 * @throws when the first registration fails (Consul unreachable or refusing the definition).
 * @example
 * const reg = await registerWithConsul(consulClient('127.0.0.1:8500'), { name: 'auth', address: '10.0.0.5', port: 3001 }, log)
 * await reg.deregister()
 */
export async function registerWithConsul(
  consul: Consul,
  r: ConsulRegistration,
  logger: Logger,
): Promise<RegisteredService> {
  const id = r.id ?? `${r.name}-${randomUUID().slice(0, 8)}`
  const intervalMs = goDurationMs(r.interval ?? '2s')
  const host = r.address.includes(':') ? `[${r.address}]` : r.address
  const definition = {
    id,
    name: r.name,
    address: r.address,
    port: r.port,
    tags: r.tags ?? [],
    // Prometheus's consul_sd_configs reads this (`__meta_consul_service_metadata_metrics_path`).
    meta: { metrics_path: '/metrics', scheme: r.scheme ?? 'http', ...r.meta },
    check: {
      name: `${r.name} readiness`,
      ...(r.selfCheck
        ? { ttl: `${3 * intervalMs}ms` }
        : {
            http: `http://${host}:${r.port}${r.checkPath ?? '/health/ready'}`,
            interval: r.interval ?? '2s',
            timeout: r.timeout ?? '1s',
          }),
      deregistercriticalserviceafter: r.deregisterCriticalServiceAfter ?? '1m',
    },
  }
  const register = () => consul.agent.service.register(definition as unknown as { name: string })
  await register()
  logger.info({ serviceId: id, address: r.address, port: r.port }, 'registered with consul')
  let stopped = false
  let warned = false
  const reconcile = setInterval(async () => {
    if (stopped) return
    try {
      const services = (await consul.agent.service.list()) as Record<string, unknown>
      warned = false
      if (!(id in services) && !stopped) {
        await register()
        logger.warn({ serviceId: id }, 'consul agent had forgotten this service; registered again')
      }
    } catch (err) {
      if (!warned)
        logger.warn({ err: (err as Error).message }, 'consul unreachable; will keep retrying')
      warned = true
    }
  }, r.reconcileIntervalMs ?? 5_000)
  reconcile.unref?.()
  const stopReporting = r.selfCheck
    ? reportReadiness(consul, id, intervalMs, r.selfCheck)
    : () => {}
  return {
    id,
    async deregister() {
      stopped = true
      clearInterval(reconcile)
      stopReporting()
      try {
        await consul.agent.service.deregister(id)
        logger.info({ serviceId: id }, 'deregistered from consul')
      } catch (err) {
        logger.warn(
          { serviceId: id, err: (err as Error).message },
          'could not deregister from consul',
        )
      }
    },
  }
}

/** No passing instance of a service is registered. */
export class NoInstanceError extends Error {
  override name = 'NoInstanceError'
}

/**
 * The base URL of a passing instance of `name` (chosen at random), e.g.
 * `http://10.0.0.5:3001`.
 * @throws NoInstanceError when none is passing; the client's error when Consul is unreachable.
 * @example const auth = await discoverService(consul, 'auth')
 */
export async function discoverService(consul: Consul, name: string): Promise<string> {
  const entries = (await consul.health.service({ service: name, passing: true })) as {
    Node: { Address: string }
    Service: { Address: string; Port: number; Meta?: Record<string, string> }
  }[]
  if (entries.length === 0) throw new NoInstanceError(`no passing instance of ${name} in Consul`)
  const pick = entries[Math.floor(Math.random() * entries.length)]!
  const address = pick.Service.Address || pick.Node.Address
  // The scheme the instance registered it speaks (meta.scheme), as the gateway reads it.
  const scheme = pick.Service.Meta?.scheme === 'https' ? 'https' : 'http'
  return `${scheme}://${address.includes(':') ? `[${address}]` : address}:${pick.Service.Port}`
}

/** A Go duration (`2s`, `500ms`, `1m`) in ms. @throws on another form. */
function goDurationMs(duration: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(duration)
  if (!m) throw new Error(`not a duration: ${duration}`)
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm']
}

/**
 * Reports `check()` on the instance's TTL check (`service:<id>`) now and every
 * `everyMs`: pass or fail with the readiness answer as the note. A report Consul
 * does not take is tried again at the next tick; the TTL marks the instance
 * critical if none lands for three intervals.
 * @returns the function that stops reporting.
 */
function reportReadiness(
  consul: Consul,
  id: string,
  everyMs: number,
  check: () => Promise<{ ok: boolean; note: string }>,
): () => void {
  const report = async () => {
    const r = await check().catch((err: Error) => ({ ok: false, note: err.message }))
    const opts = { id: `service:${id}`, note: r.note.slice(0, 1000) }
    await (r.ok ? consul.agent.check.pass(opts) : consul.agent.check.fail(opts)).catch(() => {})
  }
  void report()
  const timer = setInterval(report, everyMs)
  timer.unref?.()
  return () => clearInterval(timer)
}
