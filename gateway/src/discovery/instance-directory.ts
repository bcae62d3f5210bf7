/**
 * The passing instances of each routed service, kept current by Consul blocking
 * queries (`/v1/health/service/:name?passing&index=`) through the `consul`
 * client's watch: one long poll per service, answered as soon as the set changes,
 * never a Consul call per request. When Consul is unreachable the last known set
 * stays in use and the directory says so in its status.
 * Source: https://developer.hashicorp.com/consul/api-docs/features/blocking
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '@civildiy/kit'
import type Consul from 'consul'

/** One passing instance of a service. */
export interface Instance {
  /** Consul service id, unique per instance. */
  id: string
  service: string
  address: string
  port: number
  /** Base URL, e.g. `http://10.0.0.5:3001`. */
  url: string
}

export interface DirectoryStatus {
  consul: {
    /** False after a failed query, until one succeeds again. */
    reachable: boolean
    /** Ms since the last successful answer for any service (null: never). */
    lastContactAgoMs: number | null
    lastError?: string
  }
  services: Record<string, { instances: number; updatedAgoMs: number | null }>
}

export interface InstanceDirectory {
  /** The last known passing instances of `service` (empty before the first answer). */
  instances(service: string): readonly Instance[]
  /** Resolves once every service has had a first answer, or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>
  status(): DirectoryStatus
  /** Called after a service's set changed. */
  onChange(listener: (service: string, instances: readonly Instance[]) => void): void
  close(): void
}

interface HealthEntry {
  Node: { Address: string }
  Service: {
    ID: string
    Service: string
    Address: string
    Port: number
    Meta?: Record<string, string>
  }
}

/** One health entry as an instance, at the address the service registered (the node's otherwise). */
function toInstance(service: string, e: HealthEntry): Instance {
  const address = e.Service.Address || e.Node.Address
  const host = address.includes(':') ? `[${address}]` : address
  // What the instance registered it speaks (kit: meta.scheme); plain HTTP otherwise.
  const scheme = e.Service.Meta?.scheme === 'https' ? 'https' : 'http'
  return {
    id: e.Service.ID,
    service,
    address,
    port: e.Service.Port,
    url: `${scheme}://${host}:${e.Service.Port}`,
  }
}

/**
 * @example
 * const directory = watchInstances(consulClient('127.0.0.1:8500'), ['auth', 'feed'], logger)
 * await directory.ready()
 * directory.instances('feed') // [{ id: 'feed-1a2b3c4d', url: 'http://10.0.0.7:3004', ... }]
 */
export function watchInstances(
  consul: Consul,
  services: readonly string[],
  logger: Logger,
  o: {
    waitSec?: number
    retryMaxMs?: number
    /**
     * Ms after Consul comes back during which an empty answer does not replace a
     * service's last known instances (a restarted Consul knows none until they
     * register again). Default 10,000.
     */
    emptyGraceMs?: number
  } = {},
): InstanceDirectory {
  const sets = new Map<string, { instances: Instance[]; updatedAt: number }>()
  const listeners: ((service: string, instances: readonly Instance[]) => void)[] = []
  let lastContact: number | null = null
  let lastError: string | undefined
  let reachable = true
  let firstAnswers = 0
  let resolveReady: () => void = () => {}
  const allAnswered = new Promise<void>((resolve) => {
    resolveReady = resolve
    if (services.length === 0) resolve()
  })

  const watches = new Map<string, ReturnType<Consul['watch']>>()
  let closed = false
  /** Per service: when its watch was started again after a failed query. */
  const restartedAt = new Map<string, number>()
  const onAnswer = (service: string, entries: HealthEntry[]) => {
    lastContact = Date.now()
    if (!reachable) logger.info('consul reachable again')
    reachable = true
    lastError = undefined
    const since = restartedAt.get(service)
    const known = sets.get(service)?.instances.length ?? 0
    if (since !== undefined && Date.now() - since < (o.emptyGraceMs ?? 10_000)) {
      if (entries.length === 0 && known > 0) return
    } else restartedAt.delete(service)
    const instances = entries.map((e) => toInstance(service, e))
    const first = !sets.has(service)
    sets.set(service, { instances, updatedAt: Date.now() })
    if (first && ++firstAnswers === services.length) resolveReady()
    logger.info({ service, instances: instances.map((i) => i.id) }, 'instances changed')
    for (const l of listeners) l(service, instances)
  }
  /**
   * A fresh watch starts from index 0. After a failed query the old watch is
   * dropped rather than retried: a restarted Consul counts its index from near 0,
   * and a blocking query for an index it has not reached waits the whole `wait`
   * (30 s by default) before answering, so the gateway would miss every instance
   * registered after the restart for that long.
   */
  const watch = (service: string, retryMs: number) => {
    if (closed) return
    const w = consul.watch({
      method: consul.health.service,
      options: { service, passing: true, wait: `${o.waitSec ?? 30}s` },
    } as unknown as Parameters<Consul['watch']>[0])
    watches.set(service, w)
    w.on('change', (entries: HealthEntry[]) => {
      retryMs = 50
      onAnswer(service, entries)
    })
    w.on('error', (err: Error) => {
      if (reachable)
        logger.warn({ err: err.message }, 'consul unreachable; serving the last known instances')
      reachable = false
      lastError = err.message
      restartedAt.set(service, Date.now())
      w.end()
      const again = setTimeout(
        () => watch(service, Math.min(retryMs * 2, o.retryMaxMs ?? 2_000)),
        retryMs,
      )
      again.unref?.()
    })
  }
  for (const service of services) watch(service, 50)

  return {
    instances: (service) => sets.get(service)?.instances ?? [],
    async ready(timeoutMs = 5_000) {
      const timer = sleep(timeoutMs, false, { ref: false })
      return Promise.race([allAnswered.then(() => true), timer])
    },
    status() {
      const now = Date.now()
      return {
        consul: {
          reachable,
          lastContactAgoMs: lastContact === null ? null : now - lastContact,
          ...(lastError ? { lastError } : {}),
        },
        services: Object.fromEntries(
          services.map((s) => {
            const set = sets.get(s)
            return [
              s,
              {
                instances: set?.instances.length ?? 0,
                updatedAgoMs: set ? now - set.updatedAt : null,
              },
            ]
          }),
        ),
      }
    },
    onChange: (listener) => void listeners.push(listener),
    close() {
      closed = true
      for (const w of watches.values()) w.end()
    },
  }
}
