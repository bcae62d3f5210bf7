/**
 * Encodes RecordBatch v2 bytes with kafkajs's own encoder, so tests feed the broker
 * exactly what the client sends.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (o: object) => Promise<{ buffer: Buffer }>
}
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: object) => unknown

/** Codec id of gzip in a batch's attributes. */
export const GZIP = 1

export interface TestBatchOptions {
  compression?: number
  producerId?: number
  producerEpoch?: number
  firstSequence?: number
}

/** A RecordBatch v2 holding `values`, timestamps from 1,700,000,000,000 ms, one ms apart. */
export async function kafkajsBatch(
  values: string[],
  options: TestBatchOptions = {},
): Promise<Uint8Array> {
  const encoded = await RecordBatch({
    compression: options.compression ?? 0,
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_000 + values.length - 1,
    lastOffsetDelta: values.length - 1,
    producerId: options.producerId ?? -1,
    producerEpoch: options.producerEpoch ?? 0,
    firstSequence: options.firstSequence ?? 0,
    records: values.map((value, i) =>
      Record({ offsetDelta: i, timestampDelta: i, key: `k${i}`, value, headers: { h: 'v' } }),
    ),
  })
  return new Uint8Array(encoded.buffer)
}
