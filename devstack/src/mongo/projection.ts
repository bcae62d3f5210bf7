/**
 * Projections as mongod applies them, where mingo differs: a `$slice` field is
 * neither an inclusion nor an exclusion (a projection of only `$slice`s keeps
 * every field; `$slice` goes with an exclusion too), and an inclusion projection
 * returns `_id` first. mingo applies the rest; the slices and the field order are
 * applied here, after it.
 * Source: mongodb.com/docs/manual/reference/operator/projection/slice/
 */
import type { Document } from 'bson'
import { find } from './mingo-query.ts'

type SliceSpec = number | [number, number]

/**
 * `doc` projected as mongod would: mingo for inclusions and exclusions, then
 * `$slice`s, with the fields in the stored order.
 * @throws mingo's error for a projection mongod refuses too (mixing inclusion and exclusion).
 */
export function projectDocument(doc: Document, projection: Document): Document {
  const { rest, slices } = splitSlices(projection)
  const projected = rest ? ((find([doc], {}, rest).all()[0] as Document | undefined) ?? {}) : doc
  return finishProjection(projected, slices, doc)
}

/** The projection without its `$slice` fields (undefined when nothing is left), and those fields. */
function splitSlices(projection: Document | undefined): {
  rest: Document | undefined
  slices: [string, SliceSpec][]
} {
  if (!projection) return { rest: undefined, slices: [] }
  const rest: Document = {}
  const slices: [string, SliceSpec][] = []
  for (const [path, spec] of Object.entries(projection)) {
    const slice =
      spec && typeof spec === 'object' && !Array.isArray(spec)
        ? (spec as Document).$slice
        : undefined
    if (slice !== undefined && Object.keys(spec as Document).length === 1)
      slices.push([path, slice as SliceSpec])
    else rest[path] = spec
  }
  const fields = Object.entries(rest).filter(([k]) => k !== '_id')
  // With an inclusion projection, a sliced field is included too.
  const inclusion = fields.some(
    ([, v]) => v === 1 || v === true || (typeof v === 'object' && v !== null),
  )
  if (inclusion) for (const [path] of slices) rest[path] = 1
  return { rest: Object.keys(rest).length ? rest : undefined, slices }
}

function sliced(value: unknown, spec: SliceSpec): unknown {
  if (!Array.isArray(value)) return value
  if (typeof spec === 'number') return spec >= 0 ? value.slice(0, spec) : value.slice(spec)
  const [skip, limit] = spec
  const start = skip >= 0 ? skip : Math.max(0, value.length + skip)
  return value.slice(start, start + limit)
}

/** Applies `slices` to a projected document, its fields in `original`'s order (mongod's); a new document. */
function finishProjection(
  doc: Document,
  slices: [string, SliceSpec][],
  original: Document,
): Document {
  const out: Document = {}
  for (const k of Object.keys(original)) if (k in doc) out[k] = doc[k]
  for (const k of Object.keys(doc)) if (!(k in out)) out[k] = doc[k]
  for (const [path, spec] of slices) {
    const parts = path.split('.')
    let parent: Document | undefined = out
    for (const p of parts.slice(0, -1)) {
      const next: unknown = parent?.[p]
      if (!next || typeof next !== 'object' || Array.isArray(next)) {
        parent = undefined
        break
      }
      parent[p] = { ...(next as Document) }
      parent = parent[p] as Document
    }
    const last = parts.at(-1)!
    if (parent && last in parent) parent[last] = sliced(parent[last], spec)
  }
  return out
}
