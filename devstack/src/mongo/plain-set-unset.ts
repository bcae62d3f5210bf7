/**
 * `$set` and `$unset` on plain paths without mingo's updater. mingo 7.2's updater
 * builds its operator context for every call (copying its operator tables), which
 * made each update of the posts outbox relay (`$unset: { outboxPending: '' }`) cost
 * more than the rest of the command. Only the simplest updates take this path; every
 * other one still goes through mingo, so semantics stay mingo's:
 * - operators only `$set` and `$unset`, no array filters;
 * - every path made of non-empty, non-numeric segments without `$` (no positional
 *   or array-index forms), none of them `_id` or under it;
 * - no path equal to, or a prefix of, another (mongod refuses those as conflicts);
 * - every existing parent along a path is a plain subdocument (not an array, not a
 *   BSON value); `$set` creates missing parents, `$unset` of a missing field does nothing.
 * Source: mongodb.com/docs/manual/reference/operator/update/set/ and /unset/.
 */
import type { Document } from 'bson'
import { cloneDeep } from 'mingo/util'

const PLAIN_SEGMENT = /^(?!\d+$)[^$.]+$/

const isPlainObject = (v: unknown): v is Document =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype

/** The paths of a `$set`/`$unset`-only modifier, or null when it is not one. */
function plainPaths(modifier: Document): string[] | null {
  const paths: string[] = []
  for (const [op, fields] of Object.entries(modifier)) {
    if ((op !== '$set' && op !== '$unset') || !isPlainObject(fields)) return null
    for (const path of Object.keys(fields)) {
      const segments = path.split('.')
      if (segments[0] === '_id' || !segments.every((s) => PLAIN_SEGMENT.test(s))) return null
      paths.push(path)
    }
  }
  const sorted = paths.toSorted()
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] === sorted[i - 1] || sorted[i]!.startsWith(`${sorted[i - 1]}.`)) return null
  return paths
}

/** The parent of `path` in `doc` (created when `create`), or null when a parent is not a plain subdocument. */
function parentOf(doc: Document, segments: string[], create: boolean): Document | null | undefined {
  let at: Document = doc
  for (const s of segments.slice(0, -1)) {
    const next = at[s]
    if (next === undefined) {
      if (!create) return undefined
      at[s] = {}
      at = at[s] as Document
    } else if (isPlainObject(next)) at = next
    else return null
  }
  return at
}

/**
 * Applies `modifier` to `doc` in place when it is a plain `$set`/`$unset` (see the
 * module comment) and returns true; returns false, with `doc` untouched, otherwise.
 * @example if (!applyPlainSetUnset(next, { $unset: { outboxPending: '' } }, undefined)) applyWithMingo(next)
 */
export function applyPlainSetUnset(
  doc: Document,
  modifier: Document,
  arrayFilters: Document[] | undefined,
): boolean {
  if (arrayFilters?.length || !plainPaths(modifier)) return false
  // Check every parent first, so a refused update leaves the document as it was.
  for (const fields of Object.values(modifier))
    for (const path of Object.keys(fields as Document)) {
      let at: unknown = doc
      for (const s of path.split('.').slice(0, -1)) {
        at = (at as Document)[s]
        if (at === undefined) break
        if (!isPlainObject(at)) return false
      }
    }
  for (const [op, fields] of Object.entries(modifier))
    for (const [path, value] of Object.entries(fields as Document)) {
      const segments = path.split('.')
      const parent = parentOf(doc, segments, op === '$set')
      if (!parent) continue
      // mingo's own deep copy, as its updater makes: one command may set the same value
      // on many documents, and BSON values (Long, ObjectId) must keep their types.
      if (op === '$set') parent[segments.at(-1)!] = cloneDeep(value)
      else delete parent[segments.at(-1)!]
    }
  return true
}
