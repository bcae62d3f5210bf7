/** The `$set`/`$unset` fast path gives what mingo's updater gives, field order included, and declines the rest. */
import { expect, test } from 'bun:test'
import { type Document, EJSON, Long, ObjectId } from 'bson'
import { update } from 'mingo'
import { applyPlainSetUnset } from './plain-set-unset.ts'
import { copyDocument } from './store.ts'

const base = (): Document => ({
  _id: new ObjectId('6570a1b2c3d4e5f601234567'),
  a: 1,
  sub: { x: 1, deep: { y: 2 } },
  list: [{ q: 1 }],
  n: new Long(7),
  outboxPending: true,
})
const text = (d: Document) => EJSON.stringify(d, { relaxed: false })
// The stand-in's copy, as the update command makes it before applying operators.
const stored = () => copyDocument(base())

test('plain $set and $unset match mingo, field order included', () => {
  const modifiers: Document[] = [
    { $unset: { outboxPending: '' } },
    { $set: { a: 2, added: 'new' } },
    { $set: { 'sub.deep.y': 3, 'sub.z': { k: [1, 2] }, 'fresh.path.here': true } },
    { $unset: { 'sub.deep': '', missing: '', 'nothere.x': '' } },
    { $set: { n: new Long(9), when: new Date(0) }, $unset: { a: '' } },
  ]
  for (const modifier of modifiers) {
    const fast = stored()
    const slow = stored()
    expect(applyPlainSetUnset(fast, modifier, undefined)).toBe(true)
    update(slow, modifier, undefined, undefined, { cloneMode: 'deep' })
    expect(text(fast)).toBe(text(slow))
  }
})

test('anything else is declined and the document left as it was', () => {
  const declined: [Document, Document[] | undefined][] = [
    [{ $inc: { a: 1 } }, undefined],
    [{ $set: { 'list.0.q': 2 } }, undefined],
    [{ $set: { 'list.$.q': 2 } }, undefined],
    [{ $set: { 'list.q': 2 } }, undefined],
    [{ $set: { 'a.b': 1 } }, undefined],
    [{ $set: { 'n.hi': 1 } }, undefined],
    [{ $set: { _id: 1 } }, undefined],
    [{ $set: { sub: {} }, $unset: { 'sub.x': '' } }, undefined],
    [{ $set: { a: 1 }, $unset: { a: '' } }, undefined],
    [{ $set: { 'list.$[e].q': 2 } }, [{ 'e.q': 1 }]],
    [{ $set: { a: 2 } }, [{ 'e.q': 1 }]],
  ]
  for (const [modifier, arrayFilters] of declined) {
    const doc = stored()
    expect(applyPlainSetUnset(doc, modifier, arrayFilters)).toBe(false)
    expect(text(doc)).toBe(text(stored()))
  }
})

test('one value set on two documents is not shared between them', () => {
  const value = { nested: { k: 1 } }
  const [d1, d2] = [stored(), stored()]
  applyPlainSetUnset(d1, { $set: { v: value } }, undefined)
  applyPlainSetUnset(d2, { $set: { v: value } }, undefined)
  ;(d1.v as Document).nested.k = 2
  expect((d2.v as Document).nested.k).toBe(1)
  expect(value.nested.k).toBe(1)
})
