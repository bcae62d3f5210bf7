/**
 * A kafkajs client for tests that must speak to Kafka below the kit's port: send
 * a message that is not an event, read a dead-letter topic's headers. Services and
 * the kit's public API never see kafkajs types; tests may, as a real client.
 */
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import { fixKafkajsIdleLoop } from '../events/kafkajs-idle-loop-fix.ts'

/** @example const producer = rawKafka(broker.brokers, 'test-raw').producer() */
export function rawKafka(
  brokers: string[],
  clientId: string,
  o: { sasl?: SASLOptions } = {},
): Kafka {
  fixKafkajsIdleLoop()
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, ...o })
}

/** One message as read from a topic: its key, value and headers as strings. */
export interface ReadMessage {
  key: string | null
  value: Buffer | null
  headers: Record<string, string | undefined>
}

/**
 * Reads `topic` from the beginning with a consumer group of its own until `count`
 * messages arrived or `timeoutMs` passed, then disconnects.
 * @example const dead = await readTopic(broker.brokers, 'feed.dlq', 2)
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  count: number,
  timeoutMs = 10_000,
  o: { sasl?: SASLOptions } = {},
): Promise<ReadMessage[]> {
  const group = `read-${topic}-${crypto.randomUUID().slice(0, 8)}`
  const consumer = rawKafka(brokers, group, o).consumer({ groupId: group, maxWaitTimeInMs: 100 })
  const got: ReadMessage[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) =>
        void got.push({
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]),
          ),
        }),
    })
    const deadline = Date.now() + timeoutMs
    while (got.length < count && Date.now() < deadline) await Bun.sleep(20)
    return got
  } finally {
    await consumer.disconnect()
  }
}
