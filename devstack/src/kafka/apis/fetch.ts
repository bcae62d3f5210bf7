/**
 * Fetch (key 1), v4-11, as a long poll: the response goes out as soon as at least
 * `min_bytes` are available, or after `max_wait_ms`, or when the connection closes.
 * Appends wake waiting fetches directly (no polling loop). Sessionless only: a client
 * asking to create a fetch session (KIP-227) gets session id 0, which means "declined".
 */
import type { PartitionLog } from '../log/partition-log.ts'
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import { topicAllowed } from './acls.ts'
import type { ApiHandler, RequestContext } from './context.ts'

interface PartitionRequest {
  partition: number
  fetchOffset: number
  maxBytes: number
}

interface TopicRequest {
  topic: string
  partitions: PartitionRequest[]
}

interface PartitionData {
  partition: number
  errorCode: ErrorCode
  highWatermark: number
  logStartOffset: number
  chunks: Uint8Array[]
  size: number
}

export const fetchHandler: ApiHandler = {
  apiKey: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,
  async handle(ctx, r, w) {
    const v = ctx.apiVersion
    r.int32() // replica_id
    const maxWaitMs = r.int32()
    const minBytes = r.int32()
    const maxBytes = r.int32()
    r.int8() // isolation_level: no transactions here, so committed == uncommitted
    const sessionId = v >= 7 ? r.int32() : 0
    if (v >= 7) r.int32() // session_epoch
    const topics: TopicRequest[] = r.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => {
        const partition = r.int32()
        if (v >= 9) r.int32() // current_leader_epoch
        const fetchOffset = r.int64()
        if (v >= 5) r.int64() // log_start_offset (followers only)
        return { partition, fetchOffset, maxBytes: r.int32() }
      }),
    }))
    if (v >= 7) r.array((r) => [r.string(), r.array((r) => r.int32())])
    if (v >= 11) r.string() // rack_id

    if (sessionId !== 0) {
      w.int32(0).int16(ErrorCode.FETCH_SESSION_ID_NOT_FOUND).int32(0).int32(0)
      return undefined
    }

    let data = collect(ctx, topics, maxBytes)
    if (available(data) < Math.max(1, minBytes) && maxWaitMs > 0 && !ctx.signal.aborted) {
      await waitForData(ctx, topics, minBytes, maxWaitMs)
      data = collect(ctx, topics, maxBytes)
    }

    w.int32(0)
    if (v >= 7) w.int16(ErrorCode.NONE).int32(0)
    w.array(data, (w, t) => {
      w.string(t.topic)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(p.errorCode).int64(p.highWatermark).int64(p.highWatermark)
        if (v >= 5) w.int64(p.logStartOffset)
        w.int32(0) // aborted_transactions: empty
        if (v >= 11) w.int32(-1) // preferred_read_replica: none
        w.int32(p.size)
        for (const c of p.chunks) w.raw(c)
      })
    })
    return undefined
  },
}

function collect(ctx: RequestContext, topics: TopicRequest[], maxBytes: number) {
  let budget = Math.max(0, maxBytes)
  let anyData = false
  return topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): PartitionData => {
      const allowed = topicAllowed(ctx, 'read', t.topic)
      const log = allowed ? ctx.broker.topics.partition(t.topic, p.partition) : undefined
      if (!log) {
        return {
          partition: p.partition,
          errorCode: allowed
            ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          highWatermark: -1,
          logStartOffset: -1,
          chunks: [],
          size: 0,
        }
      }
      const base = {
        partition: p.partition,
        highWatermark: log.nextOffset,
        logStartOffset: log.logStartOffset,
      }
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.nextOffset) {
        return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, chunks: [], size: 0 }
      }
      // KIP-74: only the first non-empty partition may exceed the limits, so a big batch never stalls a consumer.
      const { chunks, size } = log.read(p.fetchOffset, Math.min(p.maxBytes, budget), !anyData)
      budget = Math.max(0, budget - size)
      if (size > 0) anyData = true
      return { ...base, errorCode: ErrorCode.NONE, chunks, size }
    }),
  }))
}

function available(data: { partitions: PartitionData[] }[]): number {
  let n = 0
  for (const t of data) for (const p of t.partitions) n += p.size
  return n
}

/** Resolves when the requested partitions gain `minBytes`, after `maxWaitMs`, or on abort. */
function waitForData(
  ctx: RequestContext,
  topics: TopicRequest[],
  minBytes: number,
  maxWaitMs: number,
): Promise<void> {
  const logs: { log: PartitionLog; offset: number }[] = []
  for (const t of topics) {
    for (const p of t.partitions) {
      const log = topicAllowed(ctx, 'read', t.topic)
        ? ctx.broker.topics.partition(t.topic, p.partition)
        : undefined
      if (log) logs.push({ log, offset: p.fetchOffset })
    }
  }
  return new Promise((resolve) => {
    const unsubscribe: (() => void)[] = []
    const done = () => {
      clearTimeout(timer)
      for (const u of unsubscribe) u()
      ctx.signal.removeEventListener('abort', done)
      resolve()
    }
    const check = () => {
      let n = 0
      for (const { log, offset } of logs) n += log.read(offset, minBytes).size
      if (n >= Math.max(1, minBytes)) done()
    }
    const timer = setTimeout(done, maxWaitMs)
    for (const { log } of logs) unsubscribe.push(log.onAppend(check))
    ctx.signal.addEventListener('abort', done)
  })
}
