/**
 * Growable big-endian encoder for Kafka protocol responses.
 *
 * Source: https://kafka.apache.org/protocol#protocol_types (non-flexible encodings).
 *
 * @example
 * const w = new Writer().int32(correlationId).int16(0)
 * socket.write(w.frame())
 */
export class Writer {
  private buf: Uint8Array
  private view: DataView
  length = 0

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity)
    this.view = new DataView(this.buf.buffer)
  }

  private ensure(n: number): number {
    const need = this.length + n
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength * 2
      while (cap < need) cap *= 2
      const next = new Uint8Array(cap)
      next.set(this.buf.subarray(0, this.length))
      this.buf = next
      this.view = new DataView(next.buffer)
    }
    const at = this.length
    this.length = need
    return at
  }

  int8(v: number): this {
    const at = this.ensure(1)
    this.view.setInt8(at, v)
    return this
  }

  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0)
  }

  int16(v: number): this {
    const at = this.ensure(2)
    this.view.setInt16(at, v)
    return this
  }

  int32(v: number): this {
    const at = this.ensure(4)
    this.view.setInt32(at, v)
    return this
  }

  int64(v: number | bigint): this {
    const at = this.ensure(8)
    this.view.setBigInt64(at, BigInt(v))
    return this
  }

  /** STRING / NULLABLE_STRING: INT16 length (-1 for null) then UTF-8. */
  string(v: string | null): this {
    if (v === null) return this.int16(-1)
    const bytes = encoder.encode(v)
    this.int16(bytes.byteLength)
    return this.raw(bytes)
  }

  /** BYTES / NULLABLE_BYTES: INT32 length (-1 for null) then raw bytes. */
  bytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1)
    this.int32(v.byteLength)
    return this.raw(v)
  }

  raw(v: Uint8Array): this {
    // ensure() may swap in a bigger buffer, so it must run before `this.buf` is read.
    const at = this.ensure(v.byteLength)
    this.buf.set(v, at)
    return this
  }

  /** ARRAY: INT32 count then each element written by `write`. */
  array<T>(items: readonly T[] | null, write: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1)
    this.int32(items.length)
    for (const item of items) write(this, item)
    return this
  }

  /** Overwrites four bytes at `at` (for a size prefix known only at the end). */
  setInt32(at: number, v: number): this {
    this.view.setInt32(at, v)
    return this
  }

  /** The bytes written so far (a view into the internal buffer). */
  bytesView(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

const encoder = new TextEncoder()
