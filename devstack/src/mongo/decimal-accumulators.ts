/**
 * `$sum` and `$avg` in `$group` over Decimal128 and Int64-beyond-2^53 values: mongod
 * computes them exactly and answers in the widest type it summed (Decimal128 over
 * Long over double); mingo adds only JavaScript numbers and gives 0 or null. These
 * replace mingo's two accumulators in an operator context of their own (mingo's
 * `aggregate` merges a given context under its defaults, where the first
 * definition wins); over plain numbers they answer as mingo did.
 * Source: mongodb.com/docs/manual/reference/operator/aggregation/sum/ (result type).
 */
import { Decimal128, type Document, Long } from 'bson'
import Decimal from 'decimal.js'
import { Aggregator } from 'mingo/aggregator'
import { Context } from 'mingo/core'
import * as accumulatorOperators from 'mingo/operators/accumulator'
import * as expressionOperators from 'mingo/operators/expression'
import * as pipelineOperators from 'mingo/operators/pipeline'
import * as projectionOperators from 'mingo/operators/projection'
import * as queryOperators from 'mingo/operators/query'
import * as windowOperators from 'mingo/operators/window'
import type { Options } from 'mingo/types'
import { addDecimals } from './decimal128-sum.ts'

type Value = number | Long | Decimal128

const numeric = (v: unknown): v is Value =>
  (typeof v === 'number' && Number.isFinite(v)) || v instanceof Long || v instanceof Decimal128

/** The values of `expr` over the group (as mingo's `$push` evaluates them) that mongod counts as numbers. */
function values(coll: Document[], expr: unknown, options: Options): Value[] {
  if (typeof expr === 'number') return coll.map(() => expr)
  return (accumulatorOperators.$push(coll, expr, options) as unknown[]).filter(numeric)
}

/** The exact sum, in the widest type among the values. */
function sum(vs: Value[]): Value {
  if (vs.some((v) => v instanceof Decimal128)) return addDecimals(vs.map(String))
  if (
    vs.some((v) => v instanceof Long) &&
    vs.every((v) => v instanceof Long || Number.isInteger(v))
  )
    return Long.fromBigInt(vs.reduce((n, v) => n + BigInt(String(v)), 0n))
  return vs.reduce<number>((n, v) => n + Number(v), 0)
}

const exactOperators = Context.init({
  accumulator: {
    $sum: (coll: Document[], expr: unknown, options: Options) => sum(values(coll, expr, options)),
    $avg: (coll: Document[], expr: unknown, options: Options) => {
      const vs = values(coll, expr, options)
      if (vs.length === 0) return null
      const total = sum(vs)
      return total instanceof Decimal128
        ? Decimal128.fromString(new Decimal(total.toString()).div(vs.length).toString())
        : Number(total) / vs.length
    },
  },
})

/** Every mingo operator, with the two above in place of mingo's (the first definition wins). */
const context = Context.from(
  exactOperators,
  Context.init({
    accumulator: accumulatorOperators,
    expression: expressionOperators,
    pipeline: pipelineOperators,
    projection: projectionOperators,
    query: queryOperators,
    window: windowOperators,
  }),
)

/**
 * mingo's `aggregate` with the exact accumulators.
 * @example aggregateExact(docs, [{ $group: { _id: '$g', total: { $sum: '$price' } } }], { collectionResolver })
 */
export function aggregateExact(
  input: Document[],
  pipeline: Document[],
  options: Partial<Options> = {},
): Document[] {
  return new Aggregator(pipeline, { ...options, context }).run(input) as Document[]
}
