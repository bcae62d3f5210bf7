/**
 * The children's output, kept for the dashboard's Logs page: the last
 * `capacity` lines of every process, parsed where they are pino JSON (level,
 * message, request id, trace id), searchable and followed live.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
const PINO_NUMBERS: Record<number, LogLevel> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}

export interface LogEntry {
  /** Increasing per buffer: `after` in queries and the live stream. */
  seq: number
  /** Epoch ms. */
  time: number
  /** The supervised process, e.g. `feed` or `feed-2`. */
  process: string
  level: LogLevel
  msg: string
  requestId?: string
  traceId?: string
  /** The line's other fields as compact JSON ('' when none). */
  fields: string
  /** An access-log line of a health probe or metrics scrape (hidden unless asked for). */
  probe?: true
}

export interface LogQuery {
  process?: string
  /** This level and above. */
  level?: LogLevel
  requestId?: string
  traceId?: string
  /** Case-insensitive substring of the message or fields. */
  text?: string
  /** Only entries with a larger seq. */
  after?: number
  /** Include health probes and metrics scrapes. Default false. */
  probes?: boolean
  /** The newest `limit` matches, oldest first. Default 500. */
  limit?: number
}

export interface LogBuffer {
  add(process: string, line: string): LogEntry
  query(q?: LogQuery): LogEntry[]
  /** Calls `listener` with each new entry; returns the unsubscribe function. */
  subscribe(listener: (e: LogEntry) => void): () => void
}

const PROBE_ROUTE = /^\/(health\/|metrics$)/

/** The numeric rank of a level name (unknown names rank as info). */
export const levelRank = (level: string) => {
  const i = LEVELS.indexOf(level as LogLevel)
  return i < 0 ? 2 : i
}

/** One output line as an entry: pino JSON parsed, anything else kept as an info message. */
export function parseLogLine(
  process: string,
  line: string,
  seq: number,
  now = Date.now(),
): LogEntry {
  if (line.startsWith('{')) {
    try {
      const {
        level,
        msg,
        time,
        requestId,
        trace_id,
        span_id: _s,
        service: _v,
        name: _n,
        pid: _p,
        hostname: _h,
        ...rest
      } = JSON.parse(line) as Record<string, unknown>
      return {
        seq,
        time:
          typeof time === 'string'
            ? Date.parse(time) || now
            : typeof time === 'number'
              ? time
              : now,
        process,
        level:
          typeof level === 'number'
            ? (PINO_NUMBERS[level] ?? 'info')
            : LEVELS.includes(level as LogLevel)
              ? (level as LogLevel)
              : 'info',
        msg: String(msg ?? ''),
        ...(typeof requestId === 'string' ? { requestId } : {}),
        ...(typeof trace_id === 'string' ? { traceId: trace_id } : {}),
        fields: Object.keys(rest).length ? JSON.stringify(rest) : '',
        ...(PROBE_ROUTE.test(String(rest.route ?? '')) ? { probe: true as const } : {}),
      }
    } catch {
      // Not JSON after all: kept as text below.
    }
  }
  return {
    seq,
    time: now,
    process,
    level: /error|fatal/i.test(line) ? 'error' : 'info',
    msg: line,
    fields: '',
  }
}

/**
 * @param capacity lines kept; the oldest go first. Default 20,000.
 * @example const logs = createLogBuffer(); logs.add('feed', line); logs.query({ traceId })
 */
export function createLogBuffer(capacity = 20_000): LogBuffer {
  const entries: LogEntry[] = []
  const listeners = new Set<(e: LogEntry) => void>()
  let seq = 0
  const matches = (e: LogEntry, q: LogQuery, minRank: number, text: string | undefined) =>
    (q.after === undefined || e.seq > q.after) &&
    (q.probes || !e.probe) &&
    (!q.process || e.process === q.process || e.process.startsWith(`${q.process}-`)) &&
    levelRank(e.level) >= minRank &&
    (!q.requestId || e.requestId === q.requestId) &&
    (!q.traceId || e.traceId === q.traceId) &&
    (!text || e.msg.toLowerCase().includes(text) || e.fields.toLowerCase().includes(text))
  return {
    add(process, line) {
      const entry = parseLogLine(process, line, ++seq)
      entries.push(entry)
      if (entries.length > capacity) entries.splice(0, entries.length - capacity)
      for (const l of listeners) l(entry)
      return entry
    },
    query(q = {}) {
      const limit = q.limit ?? 500
      const minRank = q.level ? levelRank(q.level) : 0
      const text = q.text?.toLowerCase()
      const out: LogEntry[] = []
      for (let i = entries.length - 1; i >= 0 && out.length < limit; i--) {
        const e = entries[i]!
        if (q.after !== undefined && e.seq <= q.after) break
        if (matches(e, q, minRank, text)) out.push(e)
      }
      return out.reverse()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
