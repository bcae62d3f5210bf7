/**
 * Benchmarks the devstack Kafka broker with the real kafkajs client:
 *  1. start-to-ready: spawn of `devstack --only kafka` to its ready line, and the
 *     in-process `startKafkaBroker()` call;
 *  2. produce throughput: 1 KiB messages in batches of 100, 8 sends in flight;
 *  3. produce-to-consume latency at a paced 1,000 msg/s through a consumer group.
 * The broker runs in its own process, as it does under `npm start`.
 *
 * Usage: bun bench/kafka-broker.ts [--quick] [--json FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { startKafkaBroker } from '@civildiy/devstack'
import { cdfPlot, fmt, histogramPlot, markdownTable, p99Target, summarize } from '@civildiy/harness'
import { fixKafkajsIdleLoop } from '@civildiy/kit/testing'
import { Kafka, logLevel } from 'kafkajs'
import { spawnDevstack } from './lib/spawn-devstack.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
})
const quick = Boolean(args.quick)
// kafkajs as the services run it (see kit/src/events/kafkajs-idle-loop-fix.ts): without
// the fix its idle connections poll every millisecond and warn of a negative timeout.
fixKafkajsIdleLoop()
const root = join(import.meta.dir, '..')

async function startup(runs: number) {
  const spawned: number[] = []
  for (let i = 0; i < runs; i++) {
    const broker = await spawnDevstack(['kafka'])
    spawned.push(broker.readyMs)
    await broker.stop()
  }
  const inProcess: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const b = await startKafkaBroker({ port: 0, log: () => {} })
    inProcess.push(performance.now() - t0)
    await b.stop()
  }
  return { spawned: summarize(spawned), inProcess: summarize(inProcess) }
}

async function throughput(brokers: string[], total: number) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING })
  const topic = `bench-throughput-${Date.now()}`
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  const value = Buffer.alloc(1024, 'x')
  const batch = Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 16}`, value }))
  // Warm up the connection and JIT before timing.
  for (let i = 0; i < 20; i++) await producer.send({ topic, messages: batch })
  let sent = 0
  const t0 = performance.now()
  const lane = async () => {
    while (sent < total) {
      sent += batch.length
      await producer.send({ topic, messages: batch })
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane))
  const seconds = (performance.now() - t0) / 1000
  await producer.disconnect()
  return {
    messages: sent,
    seconds,
    perSecond: sent / seconds,
    mibPerSecond: (sent * 1024) / 1024 / 1024 / seconds,
  }
}

async function latency(brokers: string[], rate: number, seconds: number) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING })
  const topic = `bench-latency-${Date.now()}`
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
  await admin.disconnect()
  const consumer = kafka.consumer({
    groupId: `bench-${Date.now()}`,
    maxWaitTimeInMs: 5_000,
    minBytes: 1,
  })
  const samples: number[] = []
  let joined = false
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message }) => {
      samples.push(performance.now() - Number(message.value!.toString()))
    },
  })
  while (!joined) await Bun.sleep(10)
  await Bun.sleep(200)
  const producer = kafka.producer()
  await producer.connect()
  const total = rate * seconds
  const t0 = performance.now()
  let sent = 0
  const inFlight: Promise<unknown>[] = []
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate))
    while (sent < due) {
      inFlight.push(
        producer.send({
          topic,
          messages: [{ key: `k${sent % 64}`, value: String(performance.now()) }],
        }),
      )
      sent++
    }
    await Bun.sleep(1)
  }
  await Promise.all(inFlight)
  const deadline = performance.now() + 10_000
  while (samples.length < total && performance.now() < deadline) await Bun.sleep(10)
  await producer.disconnect()
  await consumer.disconnect()
  return { sent: total, received: samples.length, ms: summarize(samples), samples }
}

const runs = quick ? 10 : 20
const start = await startup(runs)
const broker = await spawnDevstack(['kafka'])
const { brokers } = broker
const tp = await throughput(brokers, quick ? 50_000 : 200_000)
const lat = await latency(brokers, 1_000, quick ? 3 : 15)
await broker.stop()

const table = markdownTable(
  ['figure', 'measured', 'target'],
  [
    [
      `start to ready, spawned process (median of ${runs})`,
      `${fmt(start.spawned.p50)} ms`,
      '< 50 ms',
    ],
    [`start to ready, in process (median of ${runs})`, `${fmt(start.inProcess.p50)} ms`, '-'],
    [
      'produce throughput, kafkajs, 1 KiB x 100 per batch',
      `${fmt(tp.perSecond)} msg/s (${fmt(tp.mibPerSecond)} MiB/s)`,
      '>= 20,000 msg/s',
    ],
    [
      `produce-to-consume p50 at 1,000 msg/s (${lat.received}/${lat.sent} received)`,
      `${fmt(lat.ms.p50)} ms`,
      '-',
    ],
    ['produce-to-consume p99 at 1,000 msg/s', `${fmt(lat.ms.p99)} ms`, '< 10 ms'],
    ['produce-to-consume max at 1,000 msg/s', `${fmt(lat.ms.max)} ms`, '-'],
  ],
)
console.log(`\n## devstack Kafka broker${quick ? ' (--quick)' : ''}\n\n${table}\n`)
const result = {
  date: new Date().toISOString(),
  quick,
  startup: start,
  throughput: tp,
  latency: { sent: lat.sent, received: lat.received, ms: lat.ms },
  figures: [
    histogramPlot(
      'produce-to-consume latency at 1,000 msg/s',
      lat.samples,
      'ms',
      p99Target(lat.samples, 10, 'x'),
    ),
    cdfPlot(
      'produce-to-consume latency at 1,000 msg/s (CDF)',
      lat.samples,
      'ms',
      p99Target(lat.samples, 10, 'x'),
    ),
  ],
}
const out = args.json ?? join(root, 'bench', 'results', 'kafka-broker.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
console.log(`JSON: ${out}`)
