/**
 * Splits a TCP byte stream into length-prefixed frames, for protocols whose
 * messages start with a 4-byte length (Kafka: big-endian, excluding itself;
 * MongoDB: little-endian, including itself).
 */

/** A frame whose length is outside the protocol's limits; the connection should close. */
export class FrameLengthError extends Error {
  override name = 'FrameLengthError'
}

export interface FrameFormat {
  /** Total bytes of the frame that starts with these four bytes (prefix included). */
  totalLength(prefix: DataView): number
  /** Smallest and largest acceptable total lengths, in bytes. */
  minBytes: number
  maxBytes: number
}

/** Kafka: INT32 big-endian size of what follows. */
export const kafkaFrames = (maxBytes: number): FrameFormat => ({
  totalLength: (v) => 4 + v.getInt32(0),
  minBytes: 4 + 10,
  maxBytes: 4 + maxBytes,
})

/** MongoDB: int32 little-endian messageLength, header included. */
export const mongoFrames = (maxBytes: number): FrameFormat => ({
  totalLength: (v) => v.getInt32(0, true),
  minBytes: 16,
  maxBytes,
})

/**
 * @example
 * const frames = new FrameReader(mongoFrames(48_000_000))
 * frames.push(chunk)
 * for (let f = frames.next(); f; f = frames.next()) handle(f)
 */
export class FrameReader {
  private chunks: Uint8Array[] = []
  private buffered = 0

  constructor(private readonly format: FrameFormat) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
  }

  /**
   * The next complete frame (prefix included), or null until more bytes arrive.
   * @throws FrameLengthError when the announced length is outside the limits.
   */
  next(): Uint8Array | null {
    if (this.buffered < 4) return null
    const head = this.take(4, true)
    const total = this.format.totalLength(new DataView(head.buffer, head.byteOffset, 4))
    if (!(total >= this.format.minBytes && total <= this.format.maxBytes)) {
      throw new FrameLengthError(
        `frame of ${total} bytes outside ${this.format.minBytes}..${this.format.maxBytes}`,
      )
    }
    if (this.buffered < total) return null
    return this.take(total, false)
  }

  clear(): void {
    this.chunks = []
    this.buffered = 0
  }

  /** The first `n` buffered bytes; removed unless `peek`. A view when they lie in one chunk. */
  private take(n: number, peek: boolean): Uint8Array {
    const first = this.chunks[0]!
    if (first.byteLength >= n) {
      const out = first.subarray(0, n)
      if (!peek) {
        if (first.byteLength === n) this.chunks.shift()
        else this.chunks[0] = first.subarray(n)
        this.buffered -= n
      }
      return out
    }
    const out = new Uint8Array(n)
    let at = 0
    let i = 0
    while (at < n) {
      // Consuming shifts finished chunks off, so the current one is always at index 0.
      const c = this.chunks[peek ? i++ : 0]!
      const part = Math.min(c.byteLength, n - at)
      out.set(c.subarray(0, part), at)
      at += part
      if (peek) continue
      if (part === c.byteLength) this.chunks.shift()
      else this.chunks[0] = c.subarray(part)
    }
    if (!peek) this.buffered -= n
    return out
  }
}
