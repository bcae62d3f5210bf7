/**
 * ListOffsets (key 2), v1-3: timestamp -1 is the log end (latest), -2 the log
 * start (earliest), anything else the first offset with a record timestamp at or
 * after it.
 */
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { ApiHandler } from './context.ts'

const LATEST = -1
const EARLIEST = -2

export const listOffsetsHandler: ApiHandler = {
  apiKey: ApiKey.ListOffsets,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 3,
  handle(ctx, r, w) {
    r.int32() // replica_id
    if (ctx.apiVersion >= 2) r.int8() // isolation_level
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), timestamp: r.int64() })),
    }))
    if (ctx.apiVersion >= 2) w.int32(0)
    w.array(topics, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        const log = ctx.broker.topics.partition(t.name, p.partition)
        if (!log) {
          w.int32(p.partition).int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1)
          return
        }
        let offset: number
        if (p.timestamp === LATEST) offset = log.nextOffset
        else if (p.timestamp === EARLIEST) offset = log.logStartOffset
        else offset = log.offsetForTimestamp(p.timestamp)
        w.int32(p.partition).int16(ErrorCode.NONE).int64(-1).int64(offset)
      })
    })
    return undefined
  },
}
