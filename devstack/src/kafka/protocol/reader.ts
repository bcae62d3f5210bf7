/**
 * Bounds-checked decoder for the Kafka protocol's primitive types.
 *
 * Source: "A Guide To The Kafka Protocol", section "Protocol Primitive Types"
 * (https://kafka.apache.org/protocol#protocol_types). Only the non-flexible
 * encodings are implemented: the broker advertises no flexible API version.
 */

/** Raised when a request cannot be decoded; the connection that sent it is closed. */
export class MalformedRequestError extends Error {
  override name = 'MalformedRequestError'
}

/**
 * Reads big-endian primitives from a byte slice, throwing `MalformedRequestError`
 * instead of reading past its end.
 *
 * @example
 * const r = new Reader(frame)
 * const apiKey = r.int16()
 * const clientId = r.nullableString()
 */
export class Reader {
  private readonly view: DataView
  offset = 0

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.byteLength - this.offset
  }

  private need(n: number): number {
    if (n < 0 || this.offset + n > this.bytes.byteLength) {
      throw new MalformedRequestError(
        `need ${n} bytes at offset ${this.offset}, ${this.remaining} left`,
      )
    }
    const at = this.offset
    this.offset += n
    return at
  }

  int8(): number {
    return this.view.getInt8(this.need(1))
  }

  boolean(): boolean {
    return this.int8() !== 0
  }

  int16(): number {
    return this.view.getInt16(this.need(2))
  }

  int32(): number {
    return this.view.getInt32(this.need(4))
  }

  uint32(): number {
    return this.view.getUint32(this.need(4))
  }

  /** INT64 as a JS number; offsets and producer ids stay far below 2^53 here. */
  int64(): number {
    return Number(this.view.getBigInt64(this.need(8)))
  }

  /** Zig-zag encoded variable-length int (protobuf style), as used inside record batches. */
  varint(): number {
    let raw = 0
    let shift = 0
    for (;;) {
      const b = this.bytes[this.need(1)]!
      raw |= (b & 0x7f) << shift
      if ((b & 0x80) === 0) break
      shift += 7
      if (shift > 28) throw new MalformedRequestError('varint longer than 5 bytes')
    }
    return (raw >>> 1) ^ -(raw & 1)
  }

  /** Zig-zag encoded variable-length long, returned as a JS number (exact below 2^53). */
  varlong(): number {
    let raw = 0n
    let shift = 0n
    for (;;) {
      const b = this.bytes[this.need(1)]!
      raw |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) break
      shift += 7n
      if (shift > 63n) throw new MalformedRequestError('varlong longer than 10 bytes')
    }
    return Number((raw >> 1n) ^ -(raw & 1n))
  }

  /** STRING: INT16 length then UTF-8; a negative length is rejected. */
  string(): string {
    const s = this.nullableString()
    if (s === null) throw new MalformedRequestError('null where a STRING is required')
    return s
  }

  /** NULLABLE_STRING: INT16 length (-1 for null) then UTF-8. */
  nullableString(): string | null {
    const len = this.int16()
    if (len < 0) return null
    const at = this.need(len)
    return decoder.decode(this.bytes.subarray(at, at + len))
  }

  /** BYTES: INT32 length then raw bytes (a view, not a copy). */
  bytesField(): Uint8Array {
    const b = this.nullableBytes()
    return b ?? new Uint8Array(0)
  }

  /** NULLABLE_BYTES: INT32 length (-1 for null) then raw bytes (a view, not a copy). */
  nullableBytes(): Uint8Array | null {
    const len = this.int32()
    if (len < 0) return null
    return this.raw(len)
  }

  /** The next `n` bytes as a view. */
  raw(n: number): Uint8Array {
    const at = this.need(n)
    return this.bytes.subarray(at, at + n)
  }

  /** ARRAY: INT32 count then elements; null (-1) reads as an empty array. */
  array<T>(read: (r: Reader) => T): T[] {
    return this.nullableArray(read) ?? []
  }

  /** ARRAY with -1 meaning null (for example Metadata's "all topics"). */
  nullableArray<T>(read: (r: Reader) => T): T[] | null {
    const n = this.int32()
    if (n < 0) return null
    // Each element takes at least one byte, so a count above what is left is a lie.
    if (n > this.remaining)
      throw new MalformedRequestError(`array of ${n} in ${this.remaining} bytes`)
    const out: T[] = new Array(n)
    for (let i = 0; i < n; i++) out[i] = read(this)
    return out
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false })
