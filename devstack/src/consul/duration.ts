/**
 * Parses Go `time.Duration` strings as Consul accepts them ("10s", "1m30s",
 * "250ms", "1h", "1.5s"). Source: https://pkg.go.dev/time#ParseDuration
 */

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
}
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y

/**
 * Milliseconds in a Go duration string; a bare number is taken as nanoseconds,
 * as Consul's JSON decoder does for numeric durations.
 *
 * @throws RangeError naming the input when it does not parse.
 * @example parseDuration('1m30s') // 90000
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') return input / 1e6
  const s = input.trim()
  if (s === '0') return 0
  if (/^\d+$/.test(s)) return Number(s) / 1e6
  let total = 0
  let at = 0
  while (at < s.length) {
    PART.lastIndex = at
    const m = PART.exec(s)
    if (!m) throw new RangeError(`invalid duration "${input}"`)
    total += Number(m[1]) * UNITS[m[2]!]!
    at = PART.lastIndex
  }
  if (at === 0) throw new RangeError(`invalid duration "${input}"`)
  return total
}

/** Formats milliseconds the way Go prints a Duration ("10s", "1m0s", "500ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 1_000) return `${ms}ms`
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1_000
  if (h) return `${h}h${m}m${s}s`
  if (m) return `${m}m${s}s`
  return `${s}s`
}
