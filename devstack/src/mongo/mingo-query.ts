/**
 * mingo's `find` without its per-query setup. mingo 7.2's top-level `find` copies
 * every operator table (about 300 operators) three times for each query it builds:
 * its options helper runs in `find` and again in `Query`'s constructor, merging the
 * default context into itself, and the query's options copy the result once more.
 * In the stand-in that was a quarter of its CPU under the posts service's load
 * (`bun --cpu-prof-md`: `Object.assign` from `Context.addOps`). Here the operator
 * context is built once, so a query copies it once, and only its query operators
 * unless the filter evaluates expressions or a projection follows. Compiled queries
 * are kept by filter (canonical Extended JSON, so BSON types stay distinct), so the
 * filters a client repeats (an outbox poll) are not compiled again.
 */
import { type Document, EJSON } from 'bson'
import { Context } from 'mingo/core'
import type { Cursor } from 'mingo/cursor'
import * as expressionOperators from 'mingo/operators/expression'
import * as pipelineOperators from 'mingo/operators/pipeline'
import * as projectionOperators from 'mingo/operators/projection'
import * as queryOperators from 'mingo/operators/query'
import { Query } from 'mingo/query'

const options = {
  context: Context.init({
    expression: expressionOperators,
    pipeline: pipelineOperators,
    projection: projectionOperators,
    query: queryOperators,
  }),
}
/**
 * Query operators alone: what a filter without aggregation expressions needs, and a
 * tenth of the tables each new query copies (most filters differ by an `_id` and so
 * are compiled anew).
 */
const queryOnly = { context: Context.init({ query: queryOperators }) }
/** Filter operators that evaluate aggregation expressions. */
const EXPRESSIONS = /"\$(?:expr|where|function|jsonSchema)"/
const compiled = new Map<string, Query>()
const MAX_COMPILED = 512

/**
 * The compiled query for `filter`, from the cache when the same filter was seen.
 * A projection, or a filter with aggregation expressions, needs every operator.
 */
function queryFor(filter: Document, projecting: boolean): Query {
  const text = EJSON.stringify(filter, { relaxed: false })
  const full = projecting || EXPRESSIONS.test(text)
  const key = `${full ? 'full' : 'query'}:${text}`
  let q = compiled.get(key)
  if (!q) {
    q = new Query(filter, full ? options : queryOnly)
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!)
    compiled.set(key, q)
  }
  return q
}

/**
 * The documents of `collection` matching `filter` (a MongoDB query), projected by
 * `projection` when given, as mingo's lazy cursor.
 * @throws what mingo throws on an unknown operator or a malformed filter.
 * @example find(docs, { outboxPending: true }).all()
 */
export function find(
  collection: Document[],
  filter: Document,
  projection?: Document,
): Cursor<Document> {
  return queryFor(filter, projection !== undefined).find(collection, projection) as Cursor<Document>
}
