/**
 * OffsetCommit (key 8, v2-5) and OffsetFetch (key 9, v1-4): committed consumer
 * positions per group. An offset never committed reads back as -1.
 */
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { Reader } from '../protocol/reader.ts'
import type { ApiHandler } from './context.ts'

export const offsetCommitHandler: ApiHandler = {
  apiKey: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  minVersion: 2,
  maxVersion: 5,
  handle(ctx, r, w) {
    const v = ctx.apiVersion
    const groupId = r.string()
    const generationId = r.int32()
    const memberId = r.string()
    if (v <= 4) r.int64() // retention_time_ms
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({
        partition: r.int32(),
        offset: r.int64(),
        metadata: r.nullableString(),
      })),
    }))
    const known = (topic: string, partition: number) =>
      ctx.broker.topics.partition(topic, partition) !== undefined
    const code = ctx.broker.groups.commit(
      groupId,
      generationId,
      memberId,
      topics.flatMap((t) =>
        t.partitions
          .filter((p) => known(t.name, p.partition))
          .map((p) => ({
            topic: t.name,
            partition: p.partition,
            value: { offset: p.offset, metadata: p.metadata },
          })),
      ),
    )
    if (v >= 3) w.int32(0)
    w.array(topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(
          known(t.name, p.partition) ? code : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        )
      })
    })
    return undefined
  },
}

export const offsetFetchHandler: ApiHandler = {
  apiKey: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, r, w) {
    const v = ctx.apiVersion
    const groupId = r.string()
    const requested = v >= 2 ? r.nullableArray(readTopic) : r.array(readTopic)
    const g = ctx.broker.groups
    const topics =
      requested ??
      Object.entries(Object.groupBy(g.allCommitted(groupId), (o) => o.topic)).map(
        ([name, list]) => ({ name, partitions: (list ?? []).map((o) => o.partition) }),
      )
    if (v >= 3) w.int32(0)
    w.array(topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        const c = g.committed(groupId, t.name, p)
        w.int32(p)
          .int64(c?.offset ?? -1)
          .string(c?.metadata ?? '')
          .int16(ErrorCode.NONE)
      })
    })
    if (v >= 2) w.int16(ErrorCode.NONE)
    return undefined
  },
}

function readTopic(r: Reader) {
  return { name: r.string(), partitions: r.array((r) => r.int32()) }
}
