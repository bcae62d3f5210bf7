/** `harness up`'s options: `--runtime` sets RUNTIME, `--help` starts nothing, anything else is a usage error. */
import { expect, spyOn, test } from 'bun:test'
import { upArguments } from './up.ts'

test('--runtime deno sets RUNTIME over the environment; no option keeps the environment', () => {
  expect(upArguments(['--runtime', 'deno'], { RUNTIME: 'bun', A: '1' })).toEqual({
    RUNTIME: 'deno',
    A: '1',
  })
  const env = { B: '2' }
  expect(upArguments([], env)).toBe(env)
})

test('--help prints the usage and exits 0; a bad runtime or option exits 2', () => {
  const out = spyOn(console, 'log').mockImplementation(() => {})
  const err = spyOn(console, 'error').mockImplementation(() => {})
  try {
    expect(upArguments(['--help'], {})).toBe(0)
    expect(String(out.mock.calls[0]?.[0])).toContain('--runtime deno')
    expect(upArguments(['--runtime', 'node'], {})).toBe(2)
    expect(String(err.mock.calls[0]?.[0])).toContain('--runtime is bun or deno, not node')
    expect(upArguments(['--frobnicate'], {})).toBe(2)
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
})
