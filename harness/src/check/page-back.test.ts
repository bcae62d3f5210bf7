import { expect, test } from 'bun:test'
import { pageBack } from './page-back.ts'

/** A newest-first feed of `n` items one second apart, served `size` per page. */
function feed(n: number, size: number) {
  const t0 = Date.parse('2026-01-01T00:00:00Z')
  const items = Array.from({ length: n }, (_, i) => ({
    id: `p${n - 1 - i}`,
    createdAt: new Date(t0 + (n - 1 - i) * 1000).toISOString(),
  }))
  const reads: (string | null)[] = []
  const readPage = async (cursor: string | null) => {
    reads.push(cursor)
    const from = cursor ? Number(cursor) : 0
    const next = from + size
    return { items: items.slice(from, next), nextCursor: next < n ? String(next) : null }
  }
  return { t0, readPage, reads }
}

test('pages back until a page ends before the oldest awaited post, and no further', async () => {
  const f = feed(50, 10)
  const seen: string[] = []
  // Waiting for p25 (t0 + 25 s): items p49..p40, p39..p30, p29..p20 are read; p20 is older.
  await pageBack(f.readPage, f.t0 + 25_000, (items) => seen.push(...items.map((i) => i.id)))
  expect(f.reads).toEqual([null, '10', '20'])
  expect(seen).toContain('p25')
  expect(seen).toHaveLength(30)
})

test('stops at the end of the feed and at maxPages', async () => {
  const short = feed(15, 10)
  await pageBack(short.readPage, 0, () => {})
  expect(short.reads).toEqual([null, '10'])
  const long = feed(100, 10)
  await pageBack(long.readPage, 0, () => {}, 3)
  expect(long.reads).toHaveLength(3)
})
