/**
 * Produce (key 0), v3-7 (RecordBatch v2 only). acks 0 gets no response at all;
 * acks 1 and -1 are answered once the batch is in the log (one replica, so both
 * mean "written").
 */
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import { InvalidBatchError, parseBatches } from '../protocol/record-batch.ts'
import { topicAllowed } from './acls.ts'
import type { ApiHandler } from './context.ts'

interface PartitionResult {
  partition: number
  errorCode: ErrorCode
  baseOffset: number
  logStartOffset: number
}

export const produceHandler: ApiHandler = {
  apiKey: ApiKey.Produce,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 7,
  handle(ctx, r, w) {
    const b = ctx.broker
    const transactionalId = r.nullableString()
    const acks = r.int16()
    r.int32() // timeout: writes are synchronous here
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
    }))
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): PartitionResult => {
        const fail = (errorCode: ErrorCode): PartitionResult => ({
          partition: p.index,
          errorCode,
          baseOffset: -1,
          logStartOffset: -1,
        })
        if (acks !== 0 && acks !== 1 && acks !== -1) return fail(ErrorCode.INVALID_REQUIRED_ACKS)
        if (transactionalId !== null) return fail(ErrorCode.INVALID_REQUEST)
        if (!topicAllowed(ctx, 'write', t.name)) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        const log = b.topics.partition(t.name, p.index)
        if (!log) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        if (!p.records || p.records.byteLength === 0) return fail(ErrorCode.INVALID_RECORD)
        try {
          const batches = parseBatches(p.records)
          if (batches.some((x) => x.bytes.byteLength > b.maxMessageBytes))
            return fail(ErrorCode.MESSAGE_TOO_LARGE)
          let first = -1
          for (const batch of batches) {
            const res = log.append(batch)
            if (res.errorCode !== ErrorCode.NONE) return fail(res.errorCode)
            if (first < 0) first = res.baseOffset
          }
          return {
            partition: p.index,
            errorCode: ErrorCode.NONE,
            baseOffset: first,
            logStartOffset: log.logStartOffset,
          }
        } catch (err) {
          if (err instanceof InvalidBatchError) {
            b.log('warn', 'rejected record batch', {
              clientId: ctx.clientId,
              topic: t.name,
              partition: p.index,
              reason: err.message,
            })
            return fail(err.code)
          }
          throw err
        }
      }),
    }))
    if (transactionalId !== null)
      b.log('warn', 'transactional produce is not supported', { clientId: ctx.clientId })
    if (acks === 0) return false
    w.array(results, (w, t) => {
      w.string(t.name)
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(p.errorCode).int64(p.baseOffset).int64(-1)
        if (ctx.apiVersion >= 5) w.int64(p.logStartOffset)
      })
    })
    w.int32(0)
    return undefined
  },
}
