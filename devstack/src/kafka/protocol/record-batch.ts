/**
 * RecordBatch v2 (magic 2) framing: header parsing, CRC-32C validation, offset
 * assignment and record decoding.
 *
 * Source: https://kafka.apache.org/documentation/#recordbatch. The broker keeps
 * batches exactly as producers sent them (compressed or not) and only rewrites
 * `baseOffset` and `partitionLeaderEpoch`, which sit before the CRC-covered
 * range, so the CRC stays valid: the same zero-copy design Kafka itself uses.
 */
import { gunzipSync } from 'node:zlib'
import { crc32c } from '@node-rs/crc32'
import { ErrorCode } from './error-codes.ts'
import { Reader } from './reader.ts'

/** Bytes before the first record: baseOffset .. recordsCount. */
export const BATCH_HEADER_BYTES = 61
/** Bytes before the CRC-covered range (baseOffset, batchLength, partitionLeaderEpoch, magic, crc). */
const CRC_START = 21
const LOG_OVERHEAD = 12

/** Compression codec ids in the low three bits of a batch's attributes. */
export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const

/** A batch rejected at produce time, carrying the Kafka error code to answer with. */
export class InvalidBatchError extends Error {
  override name = 'InvalidBatchError'
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** The fields of a RecordBatch v2 header, plus the whole batch's bytes. */
export interface BatchHeader {
  /** The full batch, header included (a view into the buffer it was parsed from). */
  bytes: Uint8Array
  baseOffset: number
  attributes: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

/**
 * Splits a produce request's record set into batches and validates each one
 * (magic 2, length, CRC-32C, record count).
 *
 * @throws InvalidBatchError CORRUPT_MESSAGE on truncation or CRC mismatch,
 *   UNSUPPORTED_FOR_MESSAGE_FORMAT for message format v0/v1, INVALID_RECORD for an empty batch.
 */
export function parseBatches(recordSet: Uint8Array): BatchHeader[] {
  const out: BatchHeader[] = []
  let at = 0
  while (at < recordSet.byteLength) {
    if (recordSet.byteLength - at < BATCH_HEADER_BYTES) {
      throw new InvalidBatchError(ErrorCode.CORRUPT_MESSAGE, 'truncated record batch header')
    }
    const view = new DataView(recordSet.buffer, recordSet.byteOffset + at)
    const batchLength = view.getInt32(8)
    const total = LOG_OVERHEAD + batchLength
    if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD || at + total > recordSet.byteLength) {
      throw new InvalidBatchError(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch length ${batchLength} is invalid`,
      )
    }
    const magic = view.getInt8(16)
    if (magic !== 2) {
      throw new InvalidBatchError(
        ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
        `message format v${magic} is not supported; use RecordBatch v2`,
      )
    }
    const bytes = recordSet.subarray(at, at + total)
    const expected = view.getUint32(17)
    const actual = crc32c(
      Buffer.from(bytes.buffer, bytes.byteOffset + CRC_START, total - CRC_START),
    )
    if (actual !== expected) {
      throw new InvalidBatchError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC-32C mismatch')
    }
    const header = readHeader(bytes)
    if (header.recordCount <= 0 || header.lastOffsetDelta !== header.recordCount - 1) {
      throw new InvalidBatchError(
        ErrorCode.INVALID_RECORD,
        `record count ${header.recordCount} does not match lastOffsetDelta ${header.lastOffsetDelta}`,
      )
    }
    out.push(header)
    at += total
  }
  return out
}

/** Reads the header fields of one complete batch (no validation). */
export function readHeader(bytes: Uint8Array): BatchHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    bytes,
    baseOffset: Number(view.getBigInt64(0)),
    attributes: view.getInt16(21),
    lastOffsetDelta: view.getInt32(23),
    baseTimestamp: Number(view.getBigInt64(27)),
    maxTimestamp: Number(view.getBigInt64(35)),
    producerId: Number(view.getBigInt64(43)),
    producerEpoch: view.getInt16(51),
    baseSequence: view.getInt32(53),
    recordCount: view.getInt32(57),
  }
}

/**
 * Returns a copy of `batch` with its baseOffset set and partitionLeaderEpoch zeroed
 * (both outside the CRC, so the checksum is unchanged).
 */
export function withBaseOffset(batch: Uint8Array, baseOffset: number): Uint8Array {
  const copy = new Uint8Array(batch)
  const view = new DataView(copy.buffer)
  view.setBigInt64(0, BigInt(baseOffset))
  view.setInt32(12, 0)
  return copy
}

/** One decoded record. Offsets and timestamps are absolute. */
export interface DecodedRecord {
  offset: number
  timestamp: number
  key: Uint8Array | null
  value: Uint8Array | null
  headers: { key: string; value: Uint8Array | null }[]
}

/**
 * Decodes the records of one batch, inflating gzip. Other codecs (snappy, lz4,
 * zstd) need client plugins in kafkajs too and are not decoded here.
 *
 * @throws InvalidBatchError UNSUPPORTED_FOR_MESSAGE_FORMAT for an unknown codec,
 *   CORRUPT_MESSAGE when the records do not parse.
 */
export function decodeRecords(batch: Uint8Array): DecodedRecord[] {
  const h = readHeader(batch)
  const codec = h.attributes & 0x07
  let body = batch.subarray(BATCH_HEADER_BYTES)
  if (codec === Compression.gzip) body = gunzipSync(body)
  else if (codec !== Compression.none) {
    throw new InvalidBatchError(
      ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
      `compression codec ${codec} is not decoded`,
    )
  }
  const r = new Reader(body)
  const out: DecodedRecord[] = []
  try {
    for (let i = 0; i < h.recordCount; i++) {
      r.varint() // record length
      r.int8() // attributes (unused in v2)
      const timestampDelta = r.varlong()
      const offsetDelta = r.varint()
      const key = readVarBytes(r)
      const value = readVarBytes(r)
      const headerCount = r.varint()
      const headers: DecodedRecord['headers'] = []
      for (let j = 0; j < headerCount; j++) {
        const k = readVarBytes(r)
        headers.push({
          key: new TextDecoder().decode(k ?? new Uint8Array()),
          value: readVarBytes(r),
        })
      }
      out.push({
        offset: h.baseOffset + offsetDelta,
        timestamp: h.baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      })
    }
  } catch (err) {
    throw new InvalidBatchError(
      ErrorCode.CORRUPT_MESSAGE,
      `records do not parse: ${(err as Error).message}`,
    )
  }
  return out
}

function readVarBytes(r: Reader): Uint8Array | null {
  const len = r.varint()
  return len < 0 ? null : r.raw(len)
}
