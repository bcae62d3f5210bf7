/**
 * Starts the devstack components together: Kafka, MongoDB, Consul and PGlite
 * (Postgres wire), plus the Upstash REST bridge when a Redis URL is given. Each
 * listens on its server's standard port unless told otherwise, and falls back to
 * a free port when that one is taken, so two stacks can run side by side.
 */
import { join } from 'node:path'
import type { ConsulOptions } from './consul/server.ts'
import type { KafkaBrokerOptions } from './kafka/broker.ts'
import type { MongoOptions } from './mongo/server.ts'
import type { PgliteOptions } from './pg/pglite-server.ts'
import type { UpstashBridgeOptions } from './upstash/bridge.ts'

/** Components the devstack can start; `upstash` only with a Redis URL. */
export const componentNames = ['kafka', 'mongo', 'consul', 'pg', 'upstash'] as const
export type ComponentName = (typeof componentNames)[number]

/** Standard ports, tried first. */
export const standardPorts: Record<ComponentName, number> = {
  kafka: 9092,
  mongo: 27017,
  consul: 8500,
  pg: 5432,
  upstash: 8079,
}

/** A started component. */
export interface DevstackComponent {
  name: ComponentName
  /** How clients reach it, e.g. `kafka://127.0.0.1:9092`, `mongodb://…`, `http://…`, `postgres://…`. */
  url: string
  /** Milliseconds from start call to ready. */
  readyMs: number
  /** Set when the standard port was taken and another was used. */
  note?: string
  stop(): Promise<void>
}

export interface DevstackOptions {
  /** Components to start. Default: kafka, mongo, consul, pg (and upstash when `upstash.redisUrl` is set). */
  only?: ComponentName[]
  /** Interface every component listens on. Default 127.0.0.1. */
  host?: string
  /** Root for component data (`<dataDir>/kafka`, `/mongo`, `/pg`); unset keeps everything in memory. */
  dataDir?: string
  kafka?: Omit<KafkaBrokerOptions, 'host' | 'dataDir'>
  mongo?: Omit<MongoOptions, 'host' | 'dataDir'>
  consul?: Omit<ConsulOptions, 'host'>
  pg?: Omit<PgliteOptions, 'host' | 'dataDir'>
  upstash?: Partial<Omit<UpstashBridgeOptions, 'host'>>
}

export interface Devstack {
  components: DevstackComponent[]
  /** URL of a component, or undefined when it was not started. */
  url(name: ComponentName): string | undefined
  /** Stops every component, in reverse start order. */
  stop(): Promise<void>
}

/**
 * Starts the requested components in parallel.
 *
 * @throws when a component cannot start (an explicitly given port is taken, the
 *   upstash component has no Redis URL); components already started are stopped first.
 * @example
 * const stack = await startDevstack({ kafka: { port: 0 }, mongo: { port: 0 }, consul: { port: 0 }, pg: { port: 0 } })
 * console.log(stack.url('mongo'))
 * await stack.stop()
 */
export async function startDevstack(options: DevstackOptions = {}): Promise<Devstack> {
  const host = options.host ?? '127.0.0.1'
  const dir = (name: string) => (options.dataDir ? join(options.dataDir, name) : null)
  const wanted =
    options.only ?? componentNames.filter((n) => n !== 'upstash' || options.upstash?.redisUrl)
  // Components load their modules on demand, so `--only kafka` does not pay for PGlite's WASM.
  const starters: Record<
    ComponentName,
    () => Promise<Omit<DevstackComponent, 'name' | 'readyMs'>>
  > = {
    kafka: async () => {
      const { startKafkaBroker } = await import('./kafka/broker.ts')
      const { value: b, note } = await withPortFallback(
        options.kafka?.port,
        standardPorts.kafka,
        (port) => startKafkaBroker({ ...options.kafka, host, port, dataDir: dir('kafka') }),
      )
      return { url: `kafka://${b.brokers[0]}`, note, stop: b.stop }
    },
    mongo: async () => {
      const { startMongo } = await import('./mongo/server.ts')
      const { value: m, note } = await withPortFallback(
        options.mongo?.port,
        standardPorts.mongo,
        (port) => startMongo({ ...options.mongo, host, port, dataDir: dir('mongo') }),
      )
      return { url: m.url, note, stop: m.stop }
    },
    consul: async () => {
      const { startConsul } = await import('./consul/server.ts')
      const { value: c, note } = await withPortFallback(
        options.consul?.port,
        standardPorts.consul,
        (port) => startConsul({ ...options.consul, host, port }),
      )
      return { url: c.url, note, stop: c.stop }
    },
    pg: async () => {
      const { startPglite } = await import('./pg/pglite-server.ts')
      const { value: p, note } = await withPortFallback(
        options.pg?.port,
        standardPorts.pg,
        (port) => startPglite({ ...options.pg, host, port, dataDir: dir('pg') }),
      )
      return { url: p.url, note, stop: p.stop }
    },
    upstash: async () => {
      const redisUrl = options.upstash?.redisUrl
      if (!redisUrl)
        throw new Error(
          'the upstash component needs a Redis URL (--upstash-redis redis://HOST:PORT)',
        )
      const { startUpstashBridge } = await import('./upstash/bridge.ts')
      const { value: u, note } = await withPortFallback(
        options.upstash?.port,
        standardPorts.upstash,
        (port) => startUpstashBridge({ ...options.upstash, redisUrl, host, port }),
      )
      return { url: u.url, note: note ?? `token ${u.token}`, stop: u.stop }
    },
  }
  const t0 = performance.now()
  const results = await Promise.allSettled(
    wanted.map(async (name) => {
      const c = await starters[name]()
      return { ...c, name, readyMs: performance.now() - t0 }
    }),
  )
  const components = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  const stop = async () => {
    for (const c of components.toReversed()) await c.stop()
  }
  if (failure) {
    await stop()
    throw failure.reason
  }
  return { components, url: (name) => components.find((c) => c.name === name)?.url, stop }
}

/**
 * Starts on `explicit` if given (failing if taken), else on `standard`, else on
 * a free port. Returns a note when it fell back.
 */
async function withPortFallback<T>(
  explicit: number | undefined,
  standard: number,
  start: (port: number) => Promise<T>,
): Promise<{ value: T; note?: string }> {
  if (explicit !== undefined) return { value: await start(explicit) }
  try {
    return { value: await start(standard) }
  } catch (err) {
    if (!isAddressInUse(err)) throw err
    return { value: await start(0), note: `port ${standard} was taken` }
  }
}

function isAddressInUse(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return e?.code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(e?.message ?? '')
}
