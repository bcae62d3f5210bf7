/**
 * Starts the devstack components together. Each component listens on its
 * server's standard port unless told otherwise, and falls back to a free port
 * when that one is taken, so two stacks can run side by side.
 */
import { join } from 'node:path'
import { type KafkaBrokerOptions, startKafkaBroker } from './kafka/broker.ts'

/** Components the devstack can start. */
export const componentNames = ['kafka'] as const
export type ComponentName = (typeof componentNames)[number]

/** A started component. */
export interface DevstackComponent {
  name: ComponentName
  /** How clients reach it, e.g. `kafka://127.0.0.1:9092`. */
  url: string
  /** Set when the standard port was taken and another was used. */
  note?: string
  stop(): Promise<void>
}

export interface DevstackOptions {
  /** Components to start. Default: all. */
  only?: ComponentName[]
  /** Interface every component listens on. Default 127.0.0.1. */
  host?: string
  /** Root for component data directories; unset keeps everything in memory. */
  dataDir?: string
  kafka?: Omit<KafkaBrokerOptions, 'host' | 'dataDir'>
}

export interface Devstack {
  components: DevstackComponent[]
  /** Stops every component, in reverse start order. */
  stop(): Promise<void>
}

/**
 * Starts the requested components in parallel.
 *
 * @throws when a component cannot start (a port given explicitly is taken, say);
 *   components already started are stopped first.
 * @example
 * const stack = await startDevstack({ only: ['kafka'], kafka: { port: 0 } })
 * console.log(stack.components[0].url)
 * await stack.stop()
 */
export async function startDevstack(options: DevstackOptions = {}): Promise<Devstack> {
  const host = options.host ?? '127.0.0.1'
  const wanted = options.only ?? [...componentNames]
  const starters: Record<ComponentName, () => Promise<DevstackComponent>> = {
    kafka: async () => {
      const { value: broker, note } = await withPortFallback(options.kafka?.port, 9092, (port) =>
        startKafkaBroker({
          ...options.kafka,
          host,
          port,
          dataDir: options.dataDir ? join(options.dataDir, 'kafka') : null,
        }),
      )
      return { name: 'kafka', url: `kafka://${broker.brokers[0]}`, note, stop: () => broker.stop() }
    },
  }
  const results = await Promise.allSettled(wanted.map((name) => starters[name]()))
  const components = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  const stop = async () => {
    for (const c of components.toReversed()) await c.stop()
  }
  if (failure) {
    await stop()
    throw failure.reason
  }
  return { components, stop }
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
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err
    return { value: await start(0), note: `port ${standard} was taken` }
  }
}
