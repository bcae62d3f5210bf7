import { expect, test } from 'bun:test'
import type { Document } from 'bson'
import { Collection, keyOf } from './store.ts'

const ids = (docs: Document[] | null) => docs?.map((d) => d._id) ?? null

test('a secondary index answers equality lookups on its leading field, kept current through writes', () => {
  const c = new Collection('db', 'posts')
  c.insert({ _id: 1, authorId: 'x', pending: true })
  c.insert({ _id: 2, authorId: ['x', 'y'] })
  expect(c.lookup('authorId', 'x')).toBeNull()

  expect(c.createIndex({ v: 2, key: { authorId: 1, createdAt: -1 }, name: 'timeline' })).toBe(true)
  c.createIndex({ v: 2, key: { pending: 1 }, name: 'pending', sparse: true })
  c.insert({ _id: 3, authorId: 'x' })
  expect(ids(c.lookup('authorId', 'x'))).toEqual([1, 2, 3])
  expect(ids(c.lookup('authorId', 'y'))).toEqual([2])
  expect(ids(c.lookup('pending', true))).toEqual([1])

  // An update moves the document between postings and keeps its natural order.
  c.replace(c.docs.get(keyOf(1))!, { _id: 1, authorId: 'y' })
  expect(ids(c.lookup('authorId', 'y'))).toEqual([1, 2])
  expect(ids(c.lookup('pending', true))).toEqual([])
  c.remove({ _id: 2, authorId: ['x', 'y'] })
  expect(ids(c.lookup('authorId', 'x'))).toEqual([3])

  // Values the postings do not hold, and fields no index leads, fall back to a scan.
  expect(c.lookup('authorId', null)).toBeNull()
  expect(c.lookup('authorId', { a: 1 })).toBeNull()
  expect(c.lookup('createdAt', 'x')).toBeNull()
  c.dropIndex('timeline')
  expect(c.lookup('authorId', 'x')).toBeNull()
})

test('a partial index is not used for plain equality, since it leaves documents out', () => {
  const c = new Collection('db', 'c')
  c.createIndex({
    v: 2,
    key: { k: 1 },
    name: 'k_partial',
    partialFilterExpression: { live: true },
  })
  c.insert({ _id: 1, k: 'a', live: false })
  expect(c.lookup('k', 'a')).toBeNull()
})
