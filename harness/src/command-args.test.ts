import { expect, spyOn, test } from 'bun:test'
import { parseCommandFlags, positiveNumber } from './command-args.ts'

const options = { posts: { type: 'string' as const }, json: { type: 'boolean' as const } }

test('flags parse; an unknown flag exits 2 with the usage, --help exits 0 with it', () => {
  const errors = spyOn(console, 'error').mockImplementation(() => {})
  const logs = spyOn(console, 'log').mockImplementation(() => {})
  try {
    expect(parseCommandFlags('check', ['--posts', '5', '--json'], options, 'USAGE')).toEqual({
      posts: '5',
      json: true,
    })
    expect(parseCommandFlags('check', ['--nope'], options, 'USAGE')).toBe(2)
    expect(String(errors.mock.calls[0]?.[0])).toContain('harness check:')
    expect(String(errors.mock.calls[0]?.[0])).toContain('USAGE')
    expect(parseCommandFlags('check', ['-h'], options, 'USAGE')).toBe(0)
    expect(logs.mock.calls[0]?.[0]).toBe('USAGE')
  } finally {
    errors.mockRestore()
    logs.mockRestore()
  }
})

test('positive numbers: the default when absent, the value when valid, an error naming the flag otherwise', () => {
  expect(positiveNumber({}, 'posts', 20)).toBe(20)
  expect(positiveNumber({ posts: '7.5' }, 'posts', 20)).toBe(7.5)
  for (const bad of ['0', '-3', 'abc', ''])
    expect(() => positiveNumber({ posts: bad }, 'posts', 20)).toThrow(
      `--posts expects a positive number, got "${bad}"`,
    )
})
