/**
 * The stand-ins driven by clients of other languages, which send what the Node
 * drivers never do: kcat and confluent-kafka-python (both librdkafka, C) against
 * the Kafka broker, and kafka-python's version probe; pymongo against MongoDB;
 * python-consul2 against Consul (Debian packages kcat, python3-confluent-kafka,
 * python3-kafka, python3-pymongo, python3-consul2, installed by .ci/run). Each suite takes its server from the
 * standard variable (KAFKA_BROKERS, MONGO_URL, CONSUL_HTTP_ADDR) when set, else
 * starts the stand-in, and removes what it created. A missing client prints a
 * SKIPPED line.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { startConsul } from './consul/server.ts'
import {
  type BrokerUnderTest,
  brokerUnderTest,
  uniqueTopic,
} from './kafka/testing/broker-under-test.ts'
import { startMongo } from './mongo/server.ts'

/** Debian's Python (the packages install for it, not for another python3 on PATH). */
const PYTHON = '/usr/bin/python3'
const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

function hasPython(module: string): boolean {
  if (!existsSync(PYTHON)) return false
  return Bun.spawnSync([PYTHON, '-c', `import ${module}`]).exitCode === 0
}

/** Runs a command; resolves with its stdout. @throws with its stderr on a non-zero exit. */
async function run(cmd: string[], stdin?: string, timeoutMs = 30_000): Promise<string> {
  const proc = Bun.spawn(cmd, {
    stdin: stdin === undefined ? 'ignore' : new Blob([stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => proc.kill(), timeoutMs)
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err.slice(0, 2000)}`)
  return out
}

const python = (script: string, ...args: string[]) => run([PYTHON, '-c', script, ...args])

/** The server the standard variable names, else a stand-in started (and stopped after the suite). */
async function serverFor(
  variable: 'MONGO_URL' | 'CONSUL_HTTP_ADDR',
  start: () => Promise<{ address: string; stop: () => Promise<unknown> }>,
): Promise<string> {
  const given = process.env[variable]
  if (given) return given
  const server = await start()
  cleanup.push(server.stop)
  return server.address
}

const skipKcat = Bun.which('kcat') ? null : 'kcat is not installed (apt-get install kcat)'
const skipConfluent = hasPython('confluent_kafka')
  ? null
  : 'python3-confluent-kafka is not installed'
const skipKafkaPython = hasPython('kafka') ? null : 'python3-kafka (kafka-python) is not installed'
const skipPymongo = hasPython('pymongo') ? null : 'python3-pymongo is not installed'
const skipConsul = hasPython('consul') ? null : 'python3-consul2 is not installed'
for (const reason of [skipKcat, skipConfluent, skipKafkaPython, skipPymongo, skipConsul])
  if (reason) console.log(`SKIPPED: cross-language contract: ${reason}`)

let kafka: BrokerUnderTest | null = null
async function broker(): Promise<BrokerUnderTest> {
  if (!kafka) {
    kafka = await brokerUnderTest()
    cleanup.push(() => kafka!.stop())
  }
  return kafka
}
async function topicOf(b: BrokerUnderTest, prefix: string, partitions: number) {
  const topic = uniqueTopic(prefix)
  const admin = b.kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
  await admin.disconnect()
  cleanup.push(async () => {
    const a = b.kafka.admin()
    await a.connect()
    await a.deleteTopics({ topics: [topic] }).catch(() => {})
    await a.disconnect()
  })
  return topic
}

describe('Kafka through librdkafka', () => {
  test.skipIf(Boolean(skipKcat))(
    'kcat: metadata, keyed produce, consume to the end, and a consumer group that commits',
    async () => {
      const b = await broker()
      const brokers = b.brokers.join(',')
      const topic = await topicOf(b, 'kcat', 3)
      const meta = JSON.parse(await run(['kcat', '-b', brokers, '-L', '-J', '-t', topic])) as {
        topics: { topic: string; partitions: unknown[] }[]
      }
      expect(meta.topics.find((t) => t.topic === topic)?.partitions).toHaveLength(3)
      const lines = Array.from({ length: 30 }, (_, i) => `k${i % 5}:v${i}`)
      await run(['kcat', '-b', brokers, '-P', '-t', topic, '-K:'], `${lines.join('\n')}\n`)
      const read = await run([
        'kcat',
        '-b',
        brokers,
        '-C',
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-q',
        '-f',
        '%k:%s\\n',
      ])
      expect(read.trim().split('\n').sort()).toEqual([...lines].sort())
      // The balanced consumer (JoinGroup, SyncGroup, Heartbeat, OffsetCommit from C).
      const group = uniqueTopic('kcat-group')
      const consumeInGroup = () =>
        run(
          [
            'kcat',
            '-b',
            brokers,
            '-G',
            group,
            topic,
            '-o',
            'beginning',
            '-e',
            '-q',
            '-f',
            '%s\\n',
            '-X',
            'enable.auto.commit=true',
            '-X',
            'auto.commit.interval.ms=100',
            '-X',
            `session.timeout.ms=${b.sessionTimeout}`,
          ],
          undefined,
          60_000,
        )
      const committedSum = async () => {
        const admin = b.kafka.admin()
        await admin.connect()
        const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
        await admin.disconnect()
        return committed[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0)
      }
      const grouped = await consumeInGroup()
      // At least once: kcat seeks to the beginning on every assignment, and librdkafka
      // rejoins once after its first join (it logs "Metadata for subscribed topic(s)
      // has changed"), so a message can come twice; none may be missing.
      expect(new Set(grouped.trim().split('\n')).size).toBe(30)
      // kcat's last commits can be lost as it exits (seen once in CI: 10 of 30
      // committed; the cause is not pinned down): a member that joins again resumes
      // from what was committed and commits the rest.
      let sum = await committedSum()
      for (let i = 0; i < 2 && sum !== 30; i++) {
        await consumeInGroup()
        sum = await committedSum()
      }
      expect(sum).toBe(30)
    },
    90_000,
  )

  test.skipIf(Boolean(skipConfluent))(
    'confluent-kafka-python: idempotent produce with acks=all, a group consumer with manual commits',
    async () => {
      const b = await broker()
      const topic = await topicOf(b, 'confluent', 2)
      const out = await python(
        `
import json, sys
from confluent_kafka import Producer, Consumer
brokers, topic, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
p = Producer({'bootstrap.servers': brokers, 'enable.idempotence': True, 'acks': 'all'})
for i in range(20): p.produce(topic, key=str(i % 4), value=f'm{i}')
assert p.flush(10) == 0
c = Consumer({'bootstrap.servers': brokers, 'group.id': topic + '-g', 'auto.offset.reset': 'earliest',
              'enable.auto.commit': False, 'session.timeout.ms': int(timeout)})
c.subscribe([topic])
got = []
while len(got) < 20:
    m = c.poll(10)
    if m is None: break
    if m.error(): raise SystemExit(str(m.error()))
    got.append(m.value().decode())
    c.commit(message=m, asynchronous=False)
committed = sum(max(tp.offset, 0) for tp in c.committed([__import__('confluent_kafka').TopicPartition(topic, p) for p in (0, 1)], 10))
c.close()
print(json.dumps({'got': sorted(got), 'committed': committed}))
`,
        b.brokers.join(','),
        topic,
        String(Math.max(b.sessionTimeout, 6_000)),
      )
      const r = JSON.parse(out) as { got: string[]; committed: number }
      expect(r.got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort())
      expect(r.committed).toBe(20)
    },
    90_000,
  )
})

describe('Kafka through kafka-python', () => {
  test.skipIf(Boolean(skipKafkaPython))(
    'its automatic version probe settles every time, then produces and consumes',
    async () => {
      // kafka-python probes the broker's version by sending requests it may not
      // speak; a broker must close the connection on those (as Kafka does), and
      // serve Metadata v0. Twenty fresh clients, each probing on its own.
      const b = await broker()
      const topic = await topicOf(b, 'kafka-python', 1)
      const out = await python(
        `
import json, sys
from kafka import KafkaProducer, KafkaConsumer
brokers, topic = sys.argv[1], sys.argv[2]
versions = []
for i in range(20):
    p = KafkaProducer(bootstrap_servers=brokers, request_timeout_ms=5000, api_version_auto_timeout_ms=5000)
    versions.append(list(p.config['api_version']))
    p.send(topic, key=str(i).encode(), value=f'p{i}'.encode()).get(timeout=10)
    p.close()
c = KafkaConsumer(topic, bootstrap_servers=brokers, auto_offset_reset='earliest', consumer_timeout_ms=5000)
got = sorted(m.value.decode() for m in c)
c.close()
print(json.dumps({'versions': versions, 'got': got}))
`,
        b.brokers.join(','),
        topic,
      )
      const r = JSON.parse(out) as { versions: number[][]; got: string[] }
      expect(r.versions).toHaveLength(20)
      expect(new Set(r.versions.map((v) => v.join('.'))).size).toBe(1)
      expect(r.got).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort())
    },
    120_000,
  )
})

describe('MongoDB through pymongo', () => {
  test.skipIf(Boolean(skipPymongo))(
    'inserts, finds with sort and projection, positional and $inc updates, aggregates, counts',
    async () => {
      const url = await serverFor('MONGO_URL', async () => {
        const mongo = await startMongo({ port: 0 })
        return { address: mongo.url, stop: () => mongo.stop() }
      })
      const db = `crosslang_${crypto.randomUUID().slice(0, 8)}`
      const out = await python(
        `
import json, sys
from pymongo import MongoClient, ReturnDocument
client = MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000)
db = client[sys.argv[2]]
c = db.orders
c.insert_many([{'_id': i, 'user': f'u{i % 3}', 'total': i * 10, 'items': [{'sku': 'a', 'q': 1}, {'sku': 'b', 'q': 2}]} for i in range(9)])
top = list(c.find({'total': {'$gte': 40}}, {'_id': 0, 'user': 1, 'total': 1}).sort('total', -1).limit(3))
c.update_one({'_id': 1, 'items.sku': 'b'}, {'$inc': {'items.$.q': 5}})
after = c.find_one_and_update({'_id': 2}, {'$inc': {'total': 1}}, return_document=ReturnDocument.AFTER)
groups = sorted(c.aggregate([{'$group': {'_id': '$user', 'sum': {'$sum': '$total'}}}]), key=lambda g: g['_id'])
w = db.wide
from bson.int64 import Int64
w.insert_one({'_id': 1, 'mid': 3_000_000_000, 'big': 2**62 + 1, 'small': Int64(5), 'f': 3e9})
w.update_one({'_id': 1}, {'$inc': {'mid': 1, 'big': 1, 'small': 1}})
wide = w.find_one({'_id': 1})
from bson.decimal128 import Decimal128
m = db.money
m.insert_many([{'_id': 1, 'g': 'x', 'v': Decimal128('0.10')}, {'_id': 2, 'g': 'x', 'v': Decimal128('0.20')}])
m.update_one({'_id': 1}, {'$inc': {'v': Decimal128('0.05')}})
money = list(m.aggregate([{'$group': {'_id': '$g', 's': {'$sum': '$v'}}}]))[0]['s']
sliced = c.find_one({'_id': 1}, {'items': {'$slice': 1}})
result = {'top': top, 'items1': c.find_one({'_id': 1})['items'], 'total2': after['total'],
          'groups': groups, 'count': c.count_documents({'user': 'u0'}),
          'wide': [type(wide['mid']).__name__, str(wide['mid']), type(wide['big']).__name__, str(wide['big']),
                   type(wide['small']).__name__, str(wide['small']), type(wide['f']).__name__],
          'money': [type(money).__name__, str(money)], 'sliced': [sorted(sliced.keys()), sliced['items']]}
client.drop_database(sys.argv[2])
print(json.dumps(result))
`,
        url,
        db,
      )
      expect(JSON.parse(out)).toEqual({
        top: [
          { user: 'u2', total: 80 },
          { user: 'u1', total: 70 },
          { user: 'u0', total: 60 },
        ],
        items1: [
          { sku: 'a', q: 1 },
          { sku: 'b', q: 7 },
        ],
        total2: 21,
        groups: [
          { _id: 'u0', sum: 90 },
          { _id: 'u1', sum: 120 },
          { _id: 'u2', sum: 151 },
        ],
        count: 3,
        // Int64s come back as Int64s (small ones too), exactly; a float stays a float.
        wide: ['Int64', '3000000001', 'Int64', '4611686018427387906', 'Int64', '6', 'float'],
        money: ['Decimal128', '0.35'],
        // $slice alone keeps every other field.
        sliced: [['_id', 'items', 'total', 'user'], [{ sku: 'a', q: 1 }]],
      })
    },
    60_000,
  )
})

describe('Consul through python-consul2', () => {
  test.skipIf(Boolean(skipConsul))(
    'registers with a TTL check, passes it, reads health and KV, deregisters',
    async () => {
      const addr = await serverFor('CONSUL_HTTP_ADDR', async () => {
        const consul = await startConsul({ port: 0 })
        return { address: `${consul.host}:${consul.port}`, stop: () => consul.stop() }
      })
      const u = new URL(addr.includes('://') ? addr : `http://${addr}`)
      const name = `crosslang-${crypto.randomUUID().slice(0, 8)}`
      const out = await python(
        `
import json, sys, consul
c = consul.Consul(host=sys.argv[1], port=int(sys.argv[2]))
name = sys.argv[3]
c.agent.service.register(name, service_id=name + '-1', address='127.0.0.1', port=9,
                         tags=['x'], check=consul.Check.ttl('10s'))
before = c.health.service(name, passing=True)[1]
c.agent.check.ttl_pass('service:' + name + '-1')
after = c.health.service(name, passing=True)[1]
# A filter through the client's own HTTP layer (the request it builds, parameters encoded by it).
filtered = c.http.get(consul.base.CB.json(), '/v1/agent/services', params=[('filter', 'Service == "%s" and "x" in Tags' % name)])
c.kv.put(name + '/key', 'value')
_, kv = c.kv.get(name + '/key')
c.kv.delete(name, recurse=True)
c.agent.service.deregister(name + '-1')
gone = c.health.service(name)[1]
print(json.dumps({'before': len(before), 'after': [e['Service']['ID'] for e in after],
                  'tags': after[0]['Service']['Tags'], 'kv': kv['Value'].decode(), 'gone': len(gone),
                  'filtered': sorted(filtered.keys())}))
`,
        u.hostname,
        u.port || '8500',
        name,
      )
      expect(JSON.parse(out)).toEqual({
        before: 0,
        after: [`${name}-1`],
        tags: ['x'],
        kv: 'value',
        gone: 0,
        filtered: [`${name}-1`],
      })
    },
    60_000,
  )
})
