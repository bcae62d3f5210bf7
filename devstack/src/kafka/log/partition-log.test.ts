import { describe, expect, test } from 'bun:test'
import { ErrorCode } from '../protocol/error-codes.ts'
import { parseBatches } from '../protocol/record-batch.ts'
import { kafkajsBatch } from '../testing/kafkajs-batch.ts'
import { PartitionLog } from './partition-log.ts'

const unbounded = { maxRecords: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER }

async function header(values: string[], producerId = -1, firstSequence = 0, producerEpoch = 0) {
  return parseBatches(await kafkajsBatch(values, { producerId, firstSequence, producerEpoch }))[0]!
}

describe('PartitionLog', () => {
  test('assigns consecutive offsets and reads from the batch holding an offset', async () => {
    const log = new PartitionLog(unbounded)
    expect(log.append(await header(['a', 'b', 'c'])).baseOffset).toBe(0)
    expect(log.append(await header(['d', 'e'])).baseOffset).toBe(3)
    expect(log.nextOffset).toBe(5)
    expect(log.read(4, 1_000_000).chunks).toHaveLength(1)
    expect(log.read(1, 1_000_000).chunks).toHaveLength(2)
    expect(log.read(5, 1_000_000).chunks).toHaveLength(0)
    expect(log.offsetForTimestamp(1_700_000_000_001)).toBe(1)
    expect(log.offsetForTimestamp(1_800_000_000_000)).toBe(-1)
  })

  test('a retried idempotent batch is written once and answered with its first offset', async () => {
    const log = new PartitionLog(unbounded)
    const first = await header(['a', 'b'], 7, 0)
    expect(log.append(first)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect(log.append(await header(['c'], 7, 2))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 2,
    })
    expect(log.append(first)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 })
    expect(log.nextOffset).toBe(3)
  })

  test('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER and an old epoch INVALID_PRODUCER_EPOCH', async () => {
    const log = new PartitionLog(unbounded)
    log.append(await header(['a'], 9, 0, 1))
    expect(log.append(await header(['b'], 9, 5, 1)).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    )
    expect(log.append(await header(['b'], 9, 1, 0)).errorCode).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    )
    expect(log.nextOffset).toBe(1)
  })

  test('wakes listeners on append until they unsubscribe', async () => {
    const log = new PartitionLog(unbounded)
    let woken = 0
    const off = log.onAppend(() => woken++)
    log.append(await header(['a']))
    off()
    log.append(await header(['b']))
    expect(woken).toBe(1)
  })
})
