/**
 * One partition's log: batches in offset order, the log start and end offsets,
 * idempotent-producer sequence checks, retention, and wake-ups for long-polling fetches.
 *
 * With a single replica the high watermark equals the log end offset (`nextOffset`).
 */
import { ErrorCode } from '../protocol/error-codes.ts'
import { type BatchHeader, decodeRecords, withBaseOffset } from '../protocol/record-batch.ts'
import type { SegmentFiles } from './segment-files.ts'

/** Per-partition retention limits; the newest batch is always kept. */
export interface RetentionPolicy {
  /** Keep at most this many records (approximate: whole batches are dropped). */
  maxRecords: number
  /** Keep at most this many bytes of batches. */
  maxBytes: number
}

interface Entry {
  baseOffset: number
  nextOffset: number
  maxTimestamp: number
  bytes: Uint8Array
}

interface ProducerState {
  epoch: number
  lastSequence: number
  /** The last few batches, to answer a retried batch with its original offset (Kafka keeps 5). */
  recent: { firstSequence: number; lastSequence: number; baseOffset: number }[]
}

/** The outcome of appending one batch. */
export interface AppendResult {
  errorCode: ErrorCode
  baseOffset: number
}

const MAX_SEQUENCE = 2 ** 31

export class PartitionLog {
  logStartOffset = 0
  nextOffset = 0
  private entries: Entry[] = []
  private head = 0
  private records = 0
  private bytesHeld = 0
  private readonly producers = new Map<number, ProducerState>()
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly retention: RetentionPolicy,
    private readonly files: SegmentFiles | null = null,
  ) {
    if (files) {
      for (const b of files.load()) {
        const h = new DataView(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength)
        this.push(
          b.baseOffset,
          b.baseOffset + h.getInt32(23) + 1,
          Number(h.getBigInt64(35)),
          b.bytes,
        )
      }
      const first = this.entries[0]
      if (first) this.logStartOffset = first.baseOffset
      this.enforceRetention()
    }
  }

  /**
   * Appends a validated batch, assigning it the next offsets. A batch from an
   * idempotent producer is checked against that producer's last sequence: a retry
   * of a recent batch returns its original offset without writing it twice.
   */
  append(batch: BatchHeader): AppendResult {
    if (batch.producerId >= 0 && batch.baseSequence >= 0) {
      const check = this.checkSequence(batch)
      if (check) return check
    }
    const baseOffset = this.nextOffset
    const bytes = withBaseOffset(batch.bytes, baseOffset)
    this.files?.append(baseOffset, bytes)
    this.push(baseOffset, baseOffset + batch.recordCount, batch.maxTimestamp, bytes)
    if (batch.producerId >= 0 && batch.baseSequence >= 0) this.recordSequence(batch, baseOffset)
    this.enforceRetention()
    for (const wake of this.listeners) wake()
    return { errorCode: ErrorCode.NONE, baseOffset }
  }

  /**
   * Batches starting with the one that holds `offset`, up to `maxBytes` in total.
   * With `atLeastOne`, the first batch is returned even when it alone exceeds
   * `maxBytes` (KIP-74), so a large batch never blocks a consumer.
   */
  read(
    offset: number,
    maxBytes: number,
    atLeastOne = true,
  ): { chunks: Uint8Array[]; size: number } {
    const chunks: Uint8Array[] = []
    let size = 0
    if (offset < this.logStartOffset || offset >= this.nextOffset) return { chunks, size }
    for (let i = this.indexOf(offset); i < this.entries.length; i++) {
      const e = this.entries[i]!
      if ((chunks.length > 0 || !atLeastOne) && size + e.bytes.byteLength > maxBytes) break
      chunks.push(e.bytes)
      size += e.bytes.byteLength
    }
    return { chunks, size }
  }

  /**
   * The first offset whose record timestamp is >= `timestamp` (ms), or -1 when
   * none is (ListOffsets by time).
   */
  offsetForTimestamp(timestamp: number): number {
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!
      if (e.maxTimestamp < timestamp) continue
      try {
        for (const r of decodeRecords(e.bytes)) if (r.timestamp >= timestamp) return r.offset
      } catch {
        return e.baseOffset
      }
    }
    return -1
  }

  /** Calls `wake` after every append until the returned function is called. */
  onAppend(wake: () => void): () => void {
    this.listeners.add(wake)
    return () => this.listeners.delete(wake)
  }

  close(): void {
    this.files?.close()
  }

  destroy(): void {
    this.files?.destroy()
  }

  private push(
    baseOffset: number,
    nextOffset: number,
    maxTimestamp: number,
    bytes: Uint8Array,
  ): void {
    this.entries.push({ baseOffset, nextOffset, maxTimestamp, bytes })
    this.nextOffset = nextOffset
    this.records += nextOffset - baseOffset
    this.bytesHeld += bytes.byteLength
  }

  private indexOf(offset: number): number {
    let lo = this.head
    let hi = this.entries.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.entries[mid]!.baseOffset <= offset) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  private enforceRetention(): void {
    const before = this.head
    while (
      this.entries.length - this.head > 1 &&
      (this.records > this.retention.maxRecords || this.bytesHeld > this.retention.maxBytes)
    ) {
      const e = this.entries[this.head++]!
      this.records -= e.nextOffset - e.baseOffset
      this.bytesHeld -= e.bytes.byteLength
    }
    if (this.head === before) return
    this.logStartOffset = this.entries[this.head]!.baseOffset
    this.files?.dropBefore(this.logStartOffset)
    // Compact the array now and then instead of shifting on every drop.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
  }

  private checkSequence(batch: BatchHeader): AppendResult | null {
    const state = this.producers.get(batch.producerId)
    if (!state) return null
    if (batch.producerEpoch < state.epoch) {
      return { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1 }
    }
    if (batch.producerEpoch > state.epoch) return null
    const last = (batch.baseSequence + batch.lastOffsetDelta) % MAX_SEQUENCE
    const dup = state.recent.find(
      (b) => b.firstSequence === batch.baseSequence && b.lastSequence === last,
    )
    if (dup) return { errorCode: ErrorCode.NONE, baseOffset: dup.baseOffset }
    if (batch.baseSequence !== (state.lastSequence + 1) % MAX_SEQUENCE) {
      return { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1 }
    }
    return null
  }

  private recordSequence(batch: BatchHeader, baseOffset: number): void {
    let state = this.producers.get(batch.producerId)
    if (!state || batch.producerEpoch > state.epoch) {
      state = { epoch: batch.producerEpoch, lastSequence: -1, recent: [] }
      this.producers.set(batch.producerId, state)
    }
    const last = (batch.baseSequence + batch.lastOffsetDelta) % MAX_SEQUENCE
    state.lastSequence = last
    state.recent.push({ firstSequence: batch.baseSequence, lastSequence: last, baseOffset })
    if (state.recent.length > 5) state.recent.shift()
  }
}
