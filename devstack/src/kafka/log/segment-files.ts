/**
 * On-disk storage for one partition: append-only segment files named by their
 * first offset (`00000000000000000042.log`), holding RecordBatch v2 bytes back to back,
 * as Kafka's own log segments do (https://kafka.apache.org/documentation/#log).
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'

const SEGMENT_SUFFIX = '.log'

interface Segment {
  baseOffset: number
  path: string
  size: number
}

/** A batch read back from disk: its first offset and its bytes. */
export interface LoadedBatch {
  baseOffset: number
  bytes: Uint8Array
}

/**
 * Appends batches to the active segment, rolls to a new one past `segmentBytes`,
 * and deletes whole segments that retention has passed.
 */
export class SegmentFiles {
  private readonly segments: Segment[] = []
  private fd: number | null = null

  constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
  ) {
    mkdirSync(dir, { recursive: true })
  }

  /**
   * Reads every complete batch in offset order. A torn batch at the end of the
   * last segment (a crash mid-write) is cut off so appends continue cleanly.
   */
  load(): LoadedBatch[] {
    const names = readdirSync(this.dir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .sort()
    const out: LoadedBatch[] = []
    for (const name of names) {
      const path = join(this.dir, name)
      const data = new Uint8Array(readFileSync(path))
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
      let at = 0
      while (at + 12 <= data.byteLength) {
        const total = 12 + view.getInt32(at + 8)
        if (total < 61 || at + total > data.byteLength) break
        out.push({ baseOffset: Number(view.getBigInt64(at)), bytes: data.subarray(at, at + total) })
        at += total
      }
      if (at < data.byteLength) truncateSync(path, at)
      this.segments.push({ baseOffset: Number.parseInt(name, 10), path, size: at })
    }
    return out
  }

  /** Appends one batch whose first offset is `baseOffset`. */
  append(baseOffset: number, bytes: Uint8Array): void {
    const active = this.segments.at(-1)
    if (!active || this.fd === null || active.size >= this.segmentBytes) this.roll(baseOffset)
    writeSync(this.fd!, bytes)
    this.segments.at(-1)!.size += bytes.byteLength
  }

  /** Deletes segments whose every batch lies below `logStartOffset`; never the active one. */
  dropBefore(logStartOffset: number): void {
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= logStartOffset) {
      rmSync(this.segments.shift()!.path, { force: true })
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd)
    this.fd = null
  }

  /** Removes the partition's directory (topic deletion). */
  destroy(): void {
    this.close()
    rmSync(this.dir, { recursive: true, force: true })
  }

  private roll(baseOffset: number): void {
    if (this.fd !== null) closeSync(this.fd)
    const last = this.segments.at(-1)
    if (last && last.size === 0) {
      this.fd = openSync(last.path, 'a')
      return
    }
    const path = join(this.dir, `${String(baseOffset).padStart(20, '0')}${SEGMENT_SUFFIX}`)
    this.fd = openSync(path, 'a')
    this.segments.push({ baseOffset, path, size: 0 })
  }
}
