/**
 * The Kafka an event suite runs against: the brokers in KAFKA_BROKERS when set
 * (a real Kafka: the same tests then check the kit against it), else a devstack
 * broker on a free port. `name()` makes topic and group names unique to this run;
 * `stop()` deletes what they named on a real broker and stops an embedded one.
 * Suites that stop and restart the broker (outages) need the embedded one and
 * start it themselves.
 */
import { randomUUID } from 'node:crypto'
import { deleteMarkedKafkaNames, startKafkaBroker } from '@civildiy/devstack'
import { Kafka, logLevel } from 'kafkajs'

export interface TestKafka {
  brokers: string[]
  /** True when KAFKA_BROKERS named a real Kafka. */
  external: boolean
  /** A topic or group name unique to this run, e.g. `name('steps')`. */
  name(prefix: string): string
  stop(): Promise<void>
}

/** @example const kafka = await kafkaForTest(); const topic = kafka.name('steps'); ...; await kafka.stop() */
export async function kafkaForTest(): Promise<TestKafka> {
  const run = randomUUID().slice(0, 6)
  const given = process.env.KAFKA_BROKERS
  const broker = given ? null : await startKafkaBroker({ port: 0, log: () => {} })
  const brokers = given ? given.split(',') : broker!.brokers
  return {
    brokers,
    external: Boolean(given),
    name: (prefix) => `${prefix}-${run}-${randomUUID().slice(0, 6)}`,
    async stop() {
      if (broker) return broker.stop()
      const kafka = new Kafka({ clientId: 'test-cleanup', brokers, logLevel: logLevel.NOTHING })
      await deleteMarkedKafkaNames(kafka, run)
    },
  }
}
