import { expect, test } from 'bun:test'
import { arrivalsSection, arrivalsTable, toArrivals } from './arrivals.ts'

test('arrivals count what was seen, name what was lost, and clamp early sightings to 0 ms', () => {
  const a = toArrivals([
    { id: 'a', ms: 12 },
    { id: 'b', ms: null },
    { id: 'c', ms: -3 },
    { id: 'd', ms: 30 },
  ])
  expect(a.sent).toBe(4)
  expect(a.lost).toEqual(['b'])
  expect(a.found?.n).toBe(3)
  expect(a.found?.max).toBe(30)
  expect(a.found?.p50).toBe(12)
  expect(toArrivals([{ id: 'x', ms: null }])).toEqual({ sent: 1, found: null, lost: ['x'] })
})

test('tables and report sections show only measurements made, failing on any loss', () => {
  const seen = toArrivals([{ id: 'a', ms: 5 }])
  const lost = toArrivals([{ id: 'b', ms: null }])
  expect(arrivalsSection([['search', undefined]])).toBeNull()
  const ok = arrivalsSection([
    ['search', seen],
    ['likes', null],
  ])!
  expect(ok.ok).toBe(true)
  expect(ok.table!.rows.map((r) => r[0])).toEqual(['search'])
  const failed = arrivalsSection([
    ['search', seen],
    ['comments', lost],
  ])!
  expect(failed.ok).toBe(false)
  expect(failed.table!.rows[1]).toEqual(['comments', '0', '1', '-', '-', '-', '-'])
  expect(arrivalsTable('t, ms', 'seen', [['comments', lost]])).toContain('| comments | 0 | 1 |')
})
