/**
 * Decimal128 addition as IEEE 754-2008 decimal arithmetic does it, which mongod
 * uses: exact, and keeping the operands' scale (0.10 + 0.20 is 0.30, not 0.3).
 * decimal.js computes; the scale is restored here.
 * Source: IEEE 754-2008 §5.4.1 (the preferred exponent of a sum is the smaller one).
 */
import { Decimal128 } from 'bson'
import Decimal from 'decimal.js'

const scaleOf = (text: string) => {
  const plain = /^-?\d*\.(\d+)$/.exec(text)
  return plain ? plain[1]!.length : 0
}

/** @example addDecimals(['0.10', '0.20']).toString() // '0.30' */
export function addDecimals(values: string[]): Decimal128 {
  const sum = values.reduce((d, v) => d.plus(v), new Decimal(0))
  const scale = Math.max(0, ...values.map(scaleOf))
  return Decimal128.fromString(sum.decimalPlaces() < scale ? sum.toFixed(scale) : sum.toString())
}
