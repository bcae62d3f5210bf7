/**
 * Keeps the dashboard's readings fresh and pushes them to open pages: the
 * topology and event statistics every second while a page is open (every 5 s
 * otherwise, so the charts have history when one opens), at once when the
 * supervisor reports a process changing state, and new log lines, traces and
 * run output in small batches.
 */
import type { TraceStore } from '../traces/otlp-receiver.ts'
import type { CommandRunner, RunState } from './command-runs.ts'
import type { EventsSnapshot, EventView } from './event-view.ts'
import type { LiveHub } from './live-hub.ts'
import type { LogBuffer, LogEntry } from './log-buffer.ts'
import { readTopology, type StackViewSources, type Topology } from './stack-view.ts'

export interface DashboardLoopDeps {
  hub: LiveHub
  stack: StackViewSources
  events: EventView
  logs: LogBuffer
  traces: TraceStore
  runs: CommandRunner
  /** Calls back when a supervised process changes state; returns the unsubscribe function. */
  onProcessChange(listener: () => void): () => void
}

export interface DashboardLoop {
  topology(): Topology | null
  events(): EventsSnapshot
  /** Reads now instead of at the next tick; resolves with the reading. */
  refresh(): Promise<Topology>
  stop(): void
}

/** A run without its output (lines travel one at a time). */
export const runSummary = ({ output: _o, ...r }: RunState) => r

/** @example const loop = startDashboardLoop({ hub, stack, events, logs, traces, runs, onProcessChange }) */
export function startDashboardLoop(d: DashboardLoopDeps): DashboardLoop {
  let topology: Topology | null = null
  let reading: Promise<Topology> | null = null
  let lastTick = 0
  const read = () => {
    reading ??= (async () => {
      try {
        const t = await readTopology(d.stack)
        topology = t
        d.hub.publish('topology', t)
        const feeds = t.services
          .find((s) => s.name === 'feed')
          ?.instances.filter((i) => i.state === 'running' || i.state === 'external')
          .map((i) => i.url)
        await d.events.update(t.topics, feeds ?? [])
        d.hub.publish('events', d.events.snapshot())
        return t
      } finally {
        reading = null
        lastTick = Date.now()
      }
    })()
    return reading
  }
  const timer = setInterval(() => {
    const every = d.hub.subscribers() > 0 ? 1_000 : 5_000
    if (Date.now() - lastTick >= every - 50) void read().catch(() => {})
  }, 250)
  // A reading already under way may predate the change: read again after it.
  const offProcess = d.onProcessChange(
    () => void (reading ?? Promise.resolve()).finally(() => read()).catch(() => {}),
  )

  let logBatch: LogEntry[] = []
  let traceBatch = new Set<string>()
  const flush = setInterval(() => {
    if (logBatch.length) d.hub.publish('logs', logBatch)
    if (traceBatch.size) d.hub.publish('traces', [...traceBatch])
    logBatch = []
    traceBatch = new Set()
  }, 250)
  const offLogs = d.logs.subscribe((e) => {
    if (d.hub.subscribers() > 0 && logBatch.length < 2_000) logBatch.push(e)
  })
  const offTraces = d.traces.subscribe((ids) => {
    if (d.hub.subscribers() > 0) for (const id of ids) traceBatch.add(id)
  })
  const offRuns = d.runs.subscribe((run, line) =>
    d.hub.publish('run', { run: runSummary(run), line }),
  )
  void read().catch(() => {})
  return {
    topology: () => topology,
    events: () => d.events.snapshot(),
    refresh: read,
    stop() {
      clearInterval(timer)
      clearInterval(flush)
      for (const off of [offProcess, offLogs, offTraces, offRuns]) off()
    },
  }
}
