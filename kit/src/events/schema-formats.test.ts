import { expect, test } from 'bun:test'
import { FormatRegistry, Type as t } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ensureEventFormats } from './schema-formats.ts'

test('event formats check values once registered, keeping formats registered before', () => {
  const kept = FormatRegistry.Get('uuid')
  ensureEventFormats()
  if (kept) expect(FormatRegistry.Get('uuid')).toBe(kept)
  const time = t.String({ format: 'date-time' })
  expect(Value.Check(time, '2026-12-02T18:00:00.123Z')).toBe(true)
  expect(Value.Check(time, '2026-12-02T18:00:00+01:00')).toBe(true)
  expect(Value.Check(time, 'yesterday')).toBe(false)
  expect(Value.Check(t.String({ format: 'uuid' }), '0194b9f0-8d2c-7c3e-9a5b-1f2e3d4c5b6a')).toBe(
    true,
  )
  expect(Value.Check(t.String({ format: 'uuid' }), 'not-a-uuid')).toBe(false)
  expect(Value.Check(t.String({ format: 'email' }), 'ada@example.org')).toBe(true)
  expect(Value.Check(t.String({ format: 'uri' }), 'https://civildiy.dev/x')).toBe(true)
  expect(Value.Check(t.String({ format: 'uri' }), 'no scheme')).toBe(false)
})
