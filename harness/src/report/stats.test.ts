import { describe, expect, test } from 'bun:test'
import { fmt, markdownTable, percentile, ratio, summarize } from './stats.ts'

describe('benchmark statistics', () => {
  test('nearest-rank percentiles on fixed inputs', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(hundred, 50)).toBe(50)
    expect(percentile(hundred, 99)).toBe(99)
    expect(percentile(hundred, 99.9)).toBe(100)
    expect(percentile(hundred, 100)).toBe(100)
    expect(percentile([1, 2, 3, 4], 50)).toBe(2)
    expect(percentile([7], 1)).toBe(7)
    expect(() => percentile([], 50)).toThrow(RangeError)
    expect(() => percentile([1], 0)).toThrow(RangeError)
  })

  test('summarize sorts its input and reports extremes and mean', () => {
    const s = summarize([9, 1, 5, 3, 7])
    expect(s).toEqual({ n: 5, min: 1, mean: 5, p50: 5, p90: 9, p95: 9, p99: 9, p999: 9, max: 9 })
  })

  test('ratios and formatting', () => {
    expect(ratio(30, 10)).toBe(3)
    expect(ratio(1, 0)).toBeNaN()
    expect(fmt(0.12345)).toBe('0.123')
    expect(fmt(23456.7)).toBe('23,457')
    expect(markdownTable(['a', 'b'], [['1', '2']])).toBe('| a | b |\n| --- | --- |\n| 1 | 2 |')
  })
})
