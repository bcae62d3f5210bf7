/**
 * A read-only view of a Kafka cluster for tools (the harness dashboard): topics
 * with their partitions and high watermarks, consumer groups with their members
 * and lag, and the last messages of a topic (a dead-letter topic's reasons).
 * Nothing here joins a group that a service uses or commits an offset for one.
 * Sources: kafka.apache.org/protocol (Metadata, ListOffsets, ListGroups,
 * DescribeGroups, OffsetFetch), through kafkajs's admin client.
 */
import type { Admin } from 'kafkajs'
import { type KafkaConnection, kafkaClient } from './kafka.ts'

export interface TopicInfo {
  name: string
  partitions: { partition: number; high: number; low: number }[]
  /** Sum of high watermarks: messages ever written (while the log is retained). */
  messages: number
}

export interface GroupInfo {
  groupId: string
  /** Stable, PreparingRebalance, Empty, ... */
  state: string
  members: { clientId: string; host: string }[]
  /** Per partition of each topic the group has committed offsets for. */
  lag: { topic: string; partition: number; committed: number; high: number; lag: number }[]
}

/** One message of a topic, as text, with its headers. */
export interface TopicMessage {
  partition: number
  offset: string
  timestamp: string
  key: string | null
  value: string
  headers: Record<string, string>
}

export interface KafkaInspector {
  /** Topics (internal ones, starting `__`, left out), by name. */
  topics(): Promise<TopicInfo[]>
  /** Consumer groups with lag against `topics` (pass what `topics()` returned). */
  groups(topics: TopicInfo[]): Promise<GroupInfo[]>
  /**
   * Up to `limit` of the latest messages of `topic`, read with a throwaway group
   * (deleted after); resolves with what arrived within `timeoutMs`.
   */
  tail(topic: TopicInfo, limit: number, timeoutMs?: number): Promise<TopicMessage[]>
  close(): Promise<void>
}

async function groupLag(admin: Admin, groupId: string, topics: TopicInfo[]) {
  const offsets = await admin.fetchOffsets({ groupId, topics: topics.map((t) => t.name) })
  const lag: GroupInfo['lag'] = []
  for (const t of offsets) {
    const info = topics.find((x) => x.name === t.topic)
    for (const p of t.partitions) {
      const committed = Number(p.offset)
      // -1: the group has no offset on this partition (it never consumed this topic).
      if (committed < 0 || !info) continue
      const high = info.partitions.find((x) => x.partition === p.partition)?.high ?? committed
      lag.push({ topic: t.topic, partition: p.partition, committed, high, lag: high - committed })
    }
  }
  return lag
}

/**
 * @example
 * const kafka = openKafkaInspector({ brokers: ['127.0.0.1:9092'], clientId: 'dashboard', logger })
 * const topics = await kafka.topics(); const groups = await kafka.groups(topics)
 */
export function openKafkaInspector(o: KafkaConnection): KafkaInspector {
  const kafka = kafkaClient(o)
  const admin = kafka.admin()
  let connected: Promise<void> | null = null
  const ready = () => {
    connected ??= admin.connect().catch((err) => {
      connected = null
      throw err
    })
    return connected
  }
  return {
    async topics() {
      await ready()
      const names = (await admin.listTopics()).filter((n) => !n.startsWith('__')).sort()
      return Promise.all(
        names.map(async (name) => {
          const offsets = await admin.fetchTopicOffsets(name)
          const partitions = offsets.map((p) => ({
            partition: p.partition,
            high: Number(p.high),
            low: Number(p.low),
          }))
          return { name, partitions, messages: partitions.reduce((n, p) => n + p.high, 0) }
        }),
      )
    },
    async groups(topics) {
      await ready()
      const { groups } = await admin.listGroups()
      const ids = groups.filter((g) => g.protocolType !== 'connect').map((g) => g.groupId)
      if (ids.length === 0) return []
      const described = (await admin.describeGroups(ids)).groups
      return Promise.all(
        described.map(async (g) => ({
          groupId: g.groupId,
          state: g.state,
          members: g.members.map((m) => ({ clientId: m.clientId, host: m.clientHost })),
          lag: topics.length ? await groupLag(admin, g.groupId, topics) : [],
        })),
      )
    },
    tail: (topic, limit, timeoutMs = 5_000) => tailTopic(kafka, admin, topic, limit, timeoutMs),
    async close() {
      if (connected) await admin.disconnect().catch(() => {})
    },
  }
}

async function tailTopic(
  kafka: ReturnType<typeof kafkaClient>,
  admin: Admin,
  topic: TopicInfo,
  limit: number,
  timeoutMs: number,
): Promise<TopicMessage[]> {
  const wanted = topic.partitions.filter((p) => p.high > p.low)
  if (wanted.length === 0) return []
  const groupId = `inspector-${crypto.randomUUID()}`
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 })
  const got: TopicMessage[] = []
  const done = new Set<number>()
  try {
    await consumer.connect()
    await consumer.subscribe({ topic: topic.name, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        got.push({
          partition,
          offset: message.offset,
          timestamp: new Date(Number(message.timestamp)).toISOString(),
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v ?? '')]),
          ),
        })
        const high = wanted.find((p) => p.partition === partition)?.high ?? 0
        if (Number(message.offset) + 1 >= high) done.add(partition)
      },
    })
    const deadline = Date.now() + timeoutMs
    while (done.size < wanted.length && Date.now() < deadline) await Bun.sleep(20)
  } finally {
    await consumer.disconnect().catch(() => {})
    await admin.deleteGroups([groupId]).catch(() => {})
  }
  return got.sort((a, b) => a.timestamp.localeCompare(b.timestamp)).slice(-limit)
}
