/**
 * A consumer-group member in its own process, so a test can SIGKILL it and watch
 * the group expire it by session timeout. Prints `assigned <partitions json>` on
 * every assignment and `message <partition> <offset>` for each message.
 *
 * Usage: bun consumer-process.ts <brokers> <groupId> <topic> <sessionTimeoutMs>
 */
import { fixKafkajsIdleLoop } from '@civildiy/kit/kafkajs-idle-loop-fix'
import { Kafka, logLevel } from 'kafkajs'

const [brokers = '', groupId = '', topic = '', sessionTimeout = '6000'] = process.argv.slice(2)
fixKafkajsIdleLoop()
const kafka = new Kafka({
  clientId: 'killable',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
})
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: Number(sessionTimeout),
  heartbeatInterval: 100,
  maxWaitTimeInMs: 100,
})
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  console.log(`assigned ${JSON.stringify(e.payload.memberAssignment[topic] ?? [])}`)
})
await consumer.connect()
await consumer.subscribe({ topic, fromBeginning: true })
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    console.log(`message ${partition} ${message.offset}`)
  },
})
