import { describe, expect, test } from 'bun:test'
import { kafkajsBatch as batch, GZIP } from '../testing/kafkajs-batch.ts'
import { ErrorCode } from './error-codes.ts'
import { decodeRecords, InvalidBatchError, parseBatches, withBaseOffset } from './record-batch.ts'

describe('RecordBatch v2', () => {
  test('parses kafkajs batches and decodes their records, plain and gzip', async () => {
    for (const compression of [0, GZIP]) {
      const bytes = await batch(['a', 'bb', 'ccc'], { compression })
      const [h] = parseBatches(bytes)
      expect(h!.recordCount).toBe(3)
      expect(h!.attributes & 7).toBe(compression)
      const records = decodeRecords(withBaseOffset(bytes, 40))
      expect(records.map((r) => [r.offset, new TextDecoder().decode(r.value!)])).toEqual([
        [40, 'a'],
        [41, 'bb'],
        [42, 'ccc'],
      ])
      expect(records[2]!.timestamp).toBe(1_700_000_000_002)
      expect(records[0]!.headers).toEqual([{ key: 'h', value: new TextEncoder().encode('v') }])
    }
  })

  test('a flipped bit is CORRUPT_MESSAGE; a short buffer too; a baseOffset rewrite keeps the CRC valid', async () => {
    const bytes = await batch(['payload'])
    const flipped = new Uint8Array(bytes)
    flipped[flipped.length - 3]! ^= 0x01
    expect(() => parseBatches(flipped)).toThrow(InvalidBatchError)
    try {
      parseBatches(flipped)
    } catch (e) {
      expect((e as InvalidBatchError).code).toBe(ErrorCode.CORRUPT_MESSAGE)
    }
    expect(() => parseBatches(bytes.subarray(0, 40))).toThrow(InvalidBatchError)
    expect(parseBatches(withBaseOffset(bytes, 123_456))[0]!.baseOffset).toBe(123_456)
  })

  test('message format v0/v1 is UNSUPPORTED_FOR_MESSAGE_FORMAT', async () => {
    const bytes = new Uint8Array(await batch(['x']))
    bytes[16] = 1
    try {
      parseBatches(bytes)
      throw new Error('expected a rejection')
    } catch (e) {
      expect((e as InvalidBatchError).code).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT)
    }
  })
})
