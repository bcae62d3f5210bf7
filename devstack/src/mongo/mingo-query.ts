/**
 * mingo's `find` without its per-query setup. mingo 7.2's top-level `find` copies
 * every operator table (about 300 operators) three times for each query it builds:
 * its options helper runs in `find` and again in `Query`'s constructor, merging the
 * default context into itself, and the query's options copy the result once more.
 * In the stand-in that was a quarter of its CPU under the posts service's load
 * (`bun --cpu-prof-md`: `Object.assign` from `Context.addOps`). Here the operator
 * context is built once, so a query copies it once; and compiled queries are kept
 * by filter (canonical Extended JSON, so BSON types stay distinct), so the filters
 * a client repeats (an outbox poll, an index lookup shape) are not compiled again.
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
const compiled = new Map<string, Query>()
const MAX_COMPILED = 512

/** The compiled query for `filter`, from the cache when the same filter was seen. */
function queryFor(filter: Document): Query {
  const key = EJSON.stringify(filter, { relaxed: false })
  let q = compiled.get(key)
  if (!q) {
    q = new Query(filter, options)
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
  return queryFor(filter).find(collection, projection) as Cursor<Document>
}
