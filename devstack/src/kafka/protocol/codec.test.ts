import { describe, expect, test } from 'bun:test'
import { MalformedRequestError, Reader } from './reader.ts'
import { Writer } from './writer.ts'

describe('Writer and Reader', () => {
  test('round-trip every primitive across buffer growth', () => {
    // Start tiny so nearly every write reallocates.
    const w = new Writer(1)
    for (let i = 0; i < 200; i++) {
      w.int8(-5)
        .int16(-300)
        .int32(-70_000)
        .int64(2 ** 40 + i)
        .boolean(true)
        .string(`s${i}`)
        .string(null)
        .bytes(new Uint8Array([i & 0xff, 2]))
        .bytes(null)
      w.array([1, 2, 3], (w, n) => w.int32(n))
    }
    const r = new Reader(w.bytesView())
    for (let i = 0; i < 200; i++) {
      expect(r.int8()).toBe(-5)
      expect(r.int16()).toBe(-300)
      expect(r.int32()).toBe(-70_000)
      expect(r.int64()).toBe(2 ** 40 + i)
      expect(r.boolean()).toBe(true)
      expect(r.string()).toBe(`s${i}`)
      expect(r.nullableString()).toBeNull()
      expect([...r.bytesField()]).toEqual([i & 0xff, 2])
      expect(r.nullableBytes()).toBeNull()
      expect(r.array((r) => r.int32())).toEqual([1, 2, 3])
    }
    expect(r.remaining).toBe(0)
  })

  test('decodes zig-zag varints and varlongs', () => {
    // Encodings from the protobuf spec: 0->0, -1->1, 1->2, -2->3, 150 -> 0xac 0x02 (as zig-zag 300).
    const r = new Reader(
      new Uint8Array([0x00, 0x01, 0x02, 0x03, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f]),
    )
    expect([r.varint(), r.varint(), r.varint(), r.varint(), r.varint()]).toEqual([
      0, -1, 1, -2, 150,
    ])
    expect(r.varlong()).toBe(-2147483648)
  })

  test('refuses to read past the end or trust a lying array count', () => {
    expect(() => new Reader(new Uint8Array([0, 5, 0x61])).string()).toThrow(MalformedRequestError)
    expect(() => new Reader(new Uint8Array([0, 0, 0x03, 0xe8])).array((r) => r.int32())).toThrow(
      MalformedRequestError,
    )
    expect(() => new Reader(new Uint8Array([0xff, 0xff])).string()).toThrow(MalformedRequestError)
    expect(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).varint()).toThrow(
      MalformedRequestError,
    )
  })
})
