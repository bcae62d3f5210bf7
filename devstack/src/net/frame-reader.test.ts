import { describe, expect, test } from 'bun:test'
import { FrameLengthError, FrameReader, kafkaFrames, mongoFrames } from './frame-reader.ts'

function kafkaFrame(body: number[]): Uint8Array {
  const out = new Uint8Array(4 + body.length)
  new DataView(out.buffer).setInt32(0, body.length)
  out.set(body, 4)
  return out
}

describe('FrameReader', () => {
  test('reassembles frames split at every byte boundary and split across chunks', () => {
    const a = kafkaFrame([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const b = kafkaFrame([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21])
    const stream = new Uint8Array([...a, ...b])
    for (let cut = 1; cut < stream.length; cut++) {
      const r = new FrameReader(kafkaFrames(1024))
      const got: number[][] = []
      for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
        r.push(part)
        for (let f = r.next(); f; f = r.next()) got.push([...f])
      }
      expect(got).toEqual([[...a], [...b]])
    }
  })

  test('byte-at-a-time input yields the same frames', () => {
    const frame = new Uint8Array(20)
    new DataView(frame.buffer).setInt32(0, 20, true)
    const r = new FrameReader(mongoFrames(1024))
    const got: Uint8Array[] = []
    for (const byte of [...frame, ...frame]) {
      r.push(new Uint8Array([byte]))
      for (let f = r.next(); f; f = r.next()) got.push(f)
    }
    expect(got.map((f) => f.byteLength)).toEqual([20, 20])
  })

  test('lengths outside the limits throw FrameLengthError', () => {
    const tooBig = new FrameReader(kafkaFrames(100))
    tooBig.push(kafkaFrame(Array.from({ length: 200 }, () => 0)))
    expect(() => tooBig.next()).toThrow(FrameLengthError)
    const tooSmall = new FrameReader(mongoFrames(1024))
    tooSmall.push(new Uint8Array([4, 0, 0, 0]))
    expect(() => tooSmall.next()).toThrow(FrameLengthError)
  })
})
