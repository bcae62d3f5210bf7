/** Compiled queries are reused by filter, and only for the very same filter (BSON types included). */
import { expect, test } from 'bun:test'
import { ObjectId } from 'bson'
import { find } from './mingo-query.ts'

test('a filter seen before answers as a new one would, and BSON types keep filters apart', () => {
  const id = new ObjectId()
  const docs = [
    { _id: id, n: 1 },
    { _id: id.toHexString(), n: 2 },
    { _id: 3, n: 5 },
  ]
  for (let round = 0; round < 2; round++) {
    expect(find(docs, { _id: id }).all()).toEqual([docs[0]!])
    expect(find(docs, { _id: id.toHexString() }).all()).toEqual([docs[1]!])
    expect(find(docs, { n: { $gte: 2 } }, { n: 1, _id: 0 }).all()).toEqual([{ n: 2 }, { n: 5 }])
  }
  const filter: Record<string, unknown> = { n: 1 }
  expect(find(docs, filter).all()).toHaveLength(1)
  // The cache keys by content at the time of the call, not by object identity.
  filter.n = 2
  expect(find(docs, filter).all()).toEqual([docs[1]!])
})

test('filters with aggregation expressions, nested filters and projections all find', () => {
  const docs = [
    { _id: 1, a: 5, b: 3, items: [{ q: 1 }, { q: 7 }] },
    { _id: 2, a: 1, b: 3, items: [{ q: 2 }] },
  ]
  expect(find(docs, { $expr: { $gt: ['$a', '$b'] } }).all()).toEqual([docs[0]!])
  expect(find(docs, { items: { $elemMatch: { q: { $gt: 5 } } } }).all()).toEqual([docs[0]!])
  expect(find(docs, { b: 3 }, { a: 1 }).all()).toEqual([
    { _id: 1, a: 5 },
    { _id: 2, a: 1 },
  ])
  // The same filter with and without a projection.
  expect(find(docs, { b: 3 }).all()).toEqual(docs)
})
