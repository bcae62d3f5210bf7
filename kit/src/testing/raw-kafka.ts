/**
 * A kafkajs client for tests that must speak to Kafka below the kit's port: send
 * a message that is not an event, read a dead-letter topic's headers. Services and
 * the kit's public API never see kafkajs types; tests may, as a real client.
 */
import { Kafka, logLevel } from 'kafkajs'
import { fixKafkajsIdleLoop } from '../events/kafkajs-idle-loop-fix.ts'

/** @example const producer = rawKafka(broker.brokers, 'test-raw').producer() */
export function rawKafka(brokers: string[], clientId: string): Kafka {
  fixKafkajsIdleLoop()
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING })
}
