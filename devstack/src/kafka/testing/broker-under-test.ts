/**
 * The broker a contract test talks to: Apache Kafka when `KAFKA_BROKERS` is set
 * (comma-separated host:port list), otherwise a fresh embedded broker on an
 * ephemeral port.
 */
import { randomUUID } from 'node:crypto'
import { fixKafkajsIdleLoop } from '@civildiy/kit/kafkajs-idle-loop-fix'
import { Kafka, logLevel } from 'kafkajs'
import { type BrokerLogEntry, type KafkaBrokerOptions, startKafkaBroker } from '../broker.ts'

export interface BrokerUnderTest {
  brokers: string[]
  /** True when talking to a real Kafka. */
  external: boolean
  kafka: Kafka
  /** Log lines of the embedded broker (empty for a real Kafka). */
  logs: BrokerLogEntry[]
  /** Session timeout to use for consumers: Kafka's minimum is 6 s, ours is configurable. */
  sessionTimeout: number
  stop(): Promise<void>
}

export async function brokerUnderTest(options: KafkaBrokerOptions = {}): Promise<BrokerUnderTest> {
  const logs: BrokerLogEntry[] = []
  const external = process.env.KAFKA_BROKERS
  const broker = external
    ? null
    : await startKafkaBroker({
        port: 0,
        groups: { minSessionTimeoutMs: 500 },
        log: (e) => {
          logs.push(e)
          if (process.env.BROKER_LOG) console.error(JSON.stringify(e))
        },
        ...options,
      })
  const brokers = external ? external.split(',') : broker!.brokers
  // kafkajs's idle connections would wake every millisecond and warn (see the fix).
  fixKafkajsIdleLoop()
  const kafka = new Kafka({
    clientId: 'contract-test',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 50 },
  })
  return {
    brokers,
    external: Boolean(external),
    kafka,
    logs,
    sessionTimeout: external ? 6_000 : 1_500,
    async stop() {
      // Only a real Kafka outlives the suite; the embedded one goes away whole.
      if (external) await cleanUp(kafka).catch(() => {})
      await broker?.stop()
    },
  }
}

/** This process's mark on every name uniqueTopic makes, so cleanUp finds them all. */
const RUN = randomUUID().slice(0, 6)

/** A topic (or group) name no other test run uses. */
export function uniqueTopic(prefix = 'contract'): string {
  return `${prefix}-${RUN}-${randomUUID().slice(0, 8)}`
}

/** Deletes the topics and consumer groups this process named with uniqueTopic. */
export function cleanUp(kafka: Kafka): Promise<void> {
  return deleteMarkedKafkaNames(kafka, RUN)
}

/**
 * Deletes every topic and consumer group whose name holds `-<mark>-`: how a suite
 * that ran against a real Kafka leaves nothing behind.
 * @example await deleteMarkedKafkaNames(kafka, run)
 */
export async function deleteMarkedKafkaNames(kafka: Kafka, mark: string): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const mine = (name: string) => name.includes(`-${mark}-`)
    const topics = (await admin.listTopics()).filter(mine)
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => {})
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter(mine)
    if (groups.length) await admin.deleteGroups(groups).catch(() => {})
  } finally {
    await admin.disconnect()
  }
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function until(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await Bun.sleep(20)
  }
}
