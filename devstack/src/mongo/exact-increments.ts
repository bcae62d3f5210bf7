/**
 * `$inc` where JavaScript numbers are not enough: on an Int64 outside 2^53 (the
 * BSON decoder keeps those as Long) and on Decimal128, mongod computes exactly and
 * keeps the field's type; mingo would add JavaScript numbers (losing precision) or
 * fail. Such increments are computed here (BigInt for Int64, decimal128-sum.ts
 * for Decimal128) and handed to mingo as `$set`s of the result.
 * Source: mongodb.com/docs/manual/reference/operator/update/inc/ (type of the result).
 */
import { Decimal128, type Document, Long } from 'bson'
import { addDecimals } from './decimal128-sum.ts'

const isWide = (v: unknown) => v instanceof Long || v instanceof Decimal128 || typeof v === 'bigint'

function valueAt(doc: Document, path: string): unknown {
  let cur: unknown = doc
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Document)[key]
  }
  return cur
}

function add(current: unknown, inc: unknown): unknown {
  const text = (v: unknown) => (v === undefined || v === null ? '0' : String(v))
  if (current instanceof Decimal128 || inc instanceof Decimal128)
    return addDecimals([text(current), text(inc)])
  // A fractional increment makes the result a double, as in mongod.
  if (typeof inc === 'number' && !Number.isInteger(inc)) return Number(text(current)) + inc
  return Long.fromBigInt(BigInt(text(current)) + BigInt(text(inc)))
}

/**
 * The modifier with the wide-number increments turned into `$set`s.
 * @example exactIncrements({ n: Long.fromString('4611686018427387905') }, { $inc: { n: 1 } })
 */
export function exactIncrements(doc: Document, modifier: Document): Document {
  const inc = modifier.$inc as Document | undefined
  if (!inc) return modifier
  const rest: Document = {}
  const set: Document = {}
  for (const [path, by] of Object.entries(inc)) {
    const current = path.includes('$') ? undefined : valueAt(doc, path)
    if (!path.includes('$') && (isWide(current) || isWide(by))) set[path] = add(current, by)
    else rest[path] = by
  }
  if (Object.keys(set).length === 0) return modifier
  const { $inc: _inc, ...others } = modifier
  return {
    ...others,
    ...(Object.keys(rest).length ? { $inc: rest } : {}),
    $set: { ...((others.$set as Document | undefined) ?? {}), ...set },
  }
}
