import { expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { LuaFlagRewriter } from './lua-flags.ts'

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex')

test('strips only Upstash-only flags and maps the client hash to the stored one', () => {
  const lua = new LuaFlagRewriter()
  const script = '#!lua flags=allow-key-locking\nreturn 1'
  const eval1 = ['EVAL', script, '0']
  expect(lua.rewrite(eval1)).toBeNull()
  expect(eval1[1]).toBe('#!lua\nreturn 1')
  const evalsha = ['EVALSHA', sha1(script), '0']
  lua.rewrite(evalsha)
  expect(evalsha[1]).toBe(sha1('#!lua\nreturn 1'))

  const mixed = ['EVAL', '#!lua flags=no-writes,allow-key-locking\nreturn 2', '0']
  lua.rewrite(mixed)
  expect(mixed[1]).toBe('#!lua flags=no-writes\nreturn 2')

  const load = ['SCRIPT', 'LOAD', script]
  expect(lua.rewrite(load)).toBe(sha1(script))
  expect(load[2]).toBe('#!lua\nreturn 1')

  const plain = ['EVAL', 'return 3', '0']
  lua.rewrite(plain)
  expect(plain[1]).toBe('return 3')
  const unknownSha = ['EVALSHA', 'abc', '0']
  lua.rewrite(unknownSha)
  expect(unknownSha[1]).toBe('abc')
})
