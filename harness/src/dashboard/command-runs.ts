/**
 * Runs `harness check`, `doctor` or one `drill` for the dashboard's Checks page:
 * the same CLI a user types, as a child process against the running stack, one
 * run at a time, its output kept and followed live, and its HTML report (check
 * and drill write one) served back by name.
 */
import { join } from 'node:path'

export type RunKind = 'check' | 'doctor' | 'drill'

export interface RunState {
  id: number
  kind: RunKind
  /** The drill's name, for a drill. */
  drill: string | null
  command: string
  startedAt: string
  state: 'running' | 'passed' | 'failed'
  exitCode: number | null
  output: string[]
  /** The file name of its HTML report under the reports folder, once written. */
  report: string | null
}

/** Thrown by `start` while another run is in progress. */
export class RunInProgress extends Error {}

export interface CommandRunner {
  /** @throws RunInProgress while a run is going on. */
  start(kind: RunKind, drill?: string): RunState
  current(): RunState | null
  /** Calls `listener` on each output line and when a run ends; returns the unsubscribe function. */
  subscribe(listener: (run: RunState, line: string | null) => void): () => void
}

export interface RunnerOptions {
  /** harness/src/cli.ts */
  cli: string
  /** Where reports go (DATA_DIR/dashboard). */
  reportsDir: string
  gateway: string
  consul: string
  kafka: string
  stackFile: string
  /** Kept per run. Default 2,000 lines. */
  maxLines?: number
}

/** The CLI arguments of a run, and the report it writes (if any). */
function argsOf(o: RunnerOptions, kind: RunKind, drill: string | undefined) {
  if (kind === 'check') {
    const report = join(o.reportsDir, 'check-report.json')
    return {
      args: ['check', '--gateway', o.gateway, '--consul', o.consul, '--report', report],
      report: 'check-report.html',
    }
  }
  if (kind === 'doctor')
    return { args: ['doctor', '--consul', o.consul, '--kafka', o.kafka], report: null }
  const report = join(o.reportsDir, 'drill-report.json')
  return {
    args: [
      'drill',
      ...(drill ? [drill] : []),
      '--short',
      '--stack',
      o.stackFile,
      '--report',
      report,
    ],
    report: 'drill-report.html',
  }
}

/**
 * @example const runs = createCommandRunner({ cli, reportsDir, gateway, consul, kafka, stackFile }); runs.start('check')
 */
export function createCommandRunner(o: RunnerOptions): CommandRunner {
  const listeners = new Set<(run: RunState, line: string | null) => void>()
  let run: RunState | null = null
  let ids = 0
  const emit = (r: RunState, line: string | null) => {
    for (const l of listeners) l(r, line)
  }
  const pump = async (r: RunState, stream: ReadableStream<Uint8Array>) => {
    let pending = ''
    const decoder = new TextDecoder()
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true })
      const lines = pending.split(/\r?\n|\r/)
      pending = lines.pop()!
      for (const line of lines) {
        r.output.push(line)
        if (r.output.length > (o.maxLines ?? 2_000)) r.output.shift()
        emit(r, line)
      }
    }
    if (pending) r.output.push(pending)
  }
  return {
    start(kind, drill) {
      if (run?.state === 'running') throw new RunInProgress(`${run.command} is still running`)
      const { args, report } = argsOf(o, kind, drill)
      const r: RunState = {
        id: ++ids,
        kind,
        drill: drill ?? null,
        command: `harness ${args.join(' ')}`,
        startedAt: new Date().toISOString(),
        state: 'running',
        exitCode: null,
        output: [],
        report: null,
      }
      run = r
      const proc = Bun.spawn([process.execPath, o.cli, ...args], {
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
      })
      void Promise.all([pump(r, proc.stdout), pump(r, proc.stderr), proc.exited]).then(() => {
        r.exitCode = proc.exitCode
        r.state = proc.exitCode === 0 ? 'passed' : 'failed'
        r.report = report
        emit(r, null)
      })
      return r
    },
    current: () => run,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
