/**
 * Logs a broker outage once per change of state, not once per retry: the first
 * failure is logged (`kafka unavailable`), later ones are counted and summed up
 * every `summaryMs` (`kafka still unavailable`, with the count and the last
 * message), and the recovery once (`kafka reachable again`, with how long it was
 * down). A 30 s outage used to print about 570 lines (every kafkajs retry, every
 * consumer restart); now it prints two or three.
 */
import type { Logger } from '../logger.ts'

export interface BrokerLog {
  /** A failure talking to the broker (a kafkajs error line, a failed connect). */
  failure(message: string, fields?: Record<string, unknown>): void
  /** The broker answered again (a producer connected, a consumer joined its group). */
  reachable(): void
  /** Whether the last word was a failure. */
  isDown(): boolean
}

/**
 * @example const brokerLog = createBrokerLog(logger); kafkaClient(brokers, 'feed', logger, brokerLog)
 */
export function createBrokerLog(
  logger: Logger,
  o: { summaryMs?: number; clock?: () => number } = {},
): BrokerLog {
  const summaryMs = o.summaryMs ?? 30_000
  const clock = o.clock ?? Date.now
  let downSince: number | null = null
  let lastSummary = 0
  let unreported = 0
  let total = 0
  let lastMessage = ''
  return {
    failure(message, fields = {}) {
      const now = clock()
      total++
      lastMessage = message
      if (downSince === null) {
        downSince = now
        lastSummary = now
        unreported = 0
        logger.warn({ ...fields, reason: message }, 'kafka unavailable')
        return
      }
      unreported++
      if (now - lastSummary >= summaryMs) {
        logger.warn(
          { downForMs: now - downSince, errors: unreported, last: lastMessage },
          'kafka still unavailable',
        )
        lastSummary = now
        unreported = 0
      }
    },
    reachable() {
      if (downSince === null) return
      logger.warn({ downForMs: clock() - downSince, errors: total }, 'kafka reachable again')
      downSince = null
      total = 0
    },
    isDown: () => downSince !== null,
  }
}
