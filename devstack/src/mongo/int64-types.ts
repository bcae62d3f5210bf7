/**
 * Int64 as a type, not only a value. Queries, sorts and update operators run on
 * JavaScript numbers (mingo compares numbers), so an Int64 that fits 53 bits is
 * decoded as a number; to answer it as an Int64 again, as mongod does, the
 * stand-in remembers which paths of each stored document hold one: from the wire
 * (`narrowLongs` marks them while decoding), through updates (`pathsAfterUpdate`),
 * to every reply and the data log (`widenPaths`). Int64s beyond 2^53 stay Long
 * objects throughout.
 * Source: bsonspec.org/spec.html (int32 0x10, int64 0x12, double 0x01).
 */
import { type Document, Long } from 'bson'

/** Per decoded container (object or array): the keys whose value arrived as an Int64. */
const arrivedAsInt64 = new WeakMap<object, Set<string>>()
const SAFE = BigInt(Number.MAX_SAFE_INTEGER)

const isContainer = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === 'object' &&
  (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)

/**
 * Replaces, in place, every Long of a freshly decoded value that fits 53 bits with a
 * number, remembering where it was. Returns the value.
 */
export function narrowLongs<T>(value: T): T {
  if (!isContainer(value)) return value
  for (const [key, v] of Object.entries(value)) {
    if (v instanceof Long) {
      const big = v.toBigInt()
      if (big > SAFE || big < -SAFE) continue
      ;(value as Record<string, unknown>)[key] = Number(big)
      const marks = arrivedAsInt64.get(value) ?? new Set<string>()
      marks.add(key)
      arrivedAsInt64.set(value, marks)
    } else narrowLongs(v)
  }
  return value
}

/** The dotted paths under `value` (a decoded document or part of one) that arrived as Int64. */
export function int64PathsIn(value: unknown, prefix = ''): Set<string> {
  const out = new Set<string>()
  if (!isContainer(value)) return out
  const marks = arrivedAsInt64.get(value)
  for (const [key, v] of Object.entries(value)) {
    const path = prefix + key
    if (marks?.has(key)) out.add(path)
    for (const p of int64PathsIn(v, `${path}.`)) out.add(p)
  }
  return out
}

function valueAt(doc: unknown, path: string): unknown {
  let cur = doc
  for (const key of path.split('.')) {
    if (!isContainer(cur)) return undefined
    cur = cur[key]
  }
  return cur
}

const under = (path: string, root: string) => path === root || path.startsWith(`${root}.`)

/**
 * The Int64 paths of a document after `update` turned `before` (whose paths were
 * `paths`) into `after`: a replacement brings its own; `$set` and `$setOnInsert`
 * replace what they name with the type they send; `$inc` by an Int64 makes an
 * Int64 (mongod widens int32 + int64); `$unset` drops; a path whose value is no
 * longer an integer loses its mark.
 */
export function pathsAfterUpdate(
  paths: Set<string>,
  update: Document,
  after: Document,
): Set<string> {
  const operators = Object.keys(update).some((k) => k.startsWith('$'))
  if (!operators) return int64PathsIn(update)
  const out = new Set(paths)
  for (const op of ['$set', '$setOnInsert', '$unset'] as const) {
    const fields = update[op] as Document | undefined
    if (!fields) continue
    for (const [path, value] of Object.entries(fields)) {
      for (const p of [...out]) if (under(p, path)) out.delete(p)
      if (op === '$unset') continue
      if (arrivedAsInt64.get(fields)?.has(path)) out.add(path)
      for (const p of int64PathsIn(value, `${path}.`)) out.add(p)
    }
  }
  const inc = update.$inc as Document | undefined
  for (const path of Object.keys(inc ?? {})) if (arrivedAsInt64.get(inc!)?.has(path)) out.add(path)
  for (const p of [...out]) if (!Number.isInteger(valueAt(after, p))) out.delete(p)
  return out
}

/** A copy of `doc` with the numbers at `paths` as Int64 (Long); `doc` itself when none. */
export function widenPaths(doc: Document, paths: Set<string> | undefined): Document {
  if (!paths?.size) return doc
  const out = structuredCopy(doc)
  for (const path of paths) {
    const keys = path.split('.')
    let cur: unknown = out
    for (const key of keys.slice(0, -1)) cur = isContainer(cur) ? cur[key] : undefined
    const last = keys.at(-1)!
    if (isContainer(cur) && typeof cur[last] === 'number')
      cur[last] = Long.fromNumber(cur[last] as number)
  }
  return out
}

/** Copies plain objects and arrays along the way; BSON values (ObjectId, Date, ...) are shared. */
function structuredCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(structuredCopy) as T
  if (isContainer(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCopy(v)])) as T
  return value
}
