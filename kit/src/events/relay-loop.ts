/**
 * The scheduling every outbox relay shares: drain now and every poll interval,
 * never two drains at once (a kick during a drain runs one more after it), log
 * once when publishing starts failing and once when it recovers.
 */
import type { Logger } from '../logger.ts'

/** A running relay: the Postgres outbox's, or a custom one (posts keeps events on its documents). */
export interface OutboxRelay {
  /** Publish now (call after a commit that enqueued events). */
  kick(): void
  /** Events not yet published. */
  pending(): Promise<number>
  /** Seconds since the oldest unpublished event was written; 0 when none waits. */
  oldestPendingAgeSec(): Promise<number>
  /** Stops polling after the batch in flight. */
  stop(): Promise<void>
}

export interface RelayLoopOptions {
  /** Publishes what is pending; throws when it cannot (events stay pending). */
  drain: () => Promise<void>
  pending: () => Promise<number>
  /** Seconds since the oldest pending event was written (0 when none). */
  oldestPendingAgeSec: () => Promise<number>
  logger: Logger
  /** Names the relay in log lines. */
  name: string
  /** Ms between drains when nobody kicks. Default 250. */
  pollIntervalMs?: number
}

export function startRelayLoop(o: RelayLoopOptions): OutboxRelay {
  let running: Promise<void> | null = null
  let again = false
  let stopped = false
  let failing = false
  const run = () => {
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = o
      .drain()
      .then(() => {
        if (failing) o.logger.info(`${o.name} publishing again`)
        failing = false
      })
      .catch((err) => {
        if (!failing)
          o.logger.warn(
            { err: (err as Error).message },
            `${o.name} cannot publish; events stay pending`,
          )
        failing = true
      })
      .finally(() => {
        running = null
        if (again && !stopped) {
          again = false
          run()
        }
      })
  }
  const timer = setInterval(run, o.pollIntervalMs ?? 250)
  timer.unref?.()
  run()
  return {
    kick: run,
    pending: o.pending,
    oldestPendingAgeSec: o.oldestPendingAgeSec,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
