/**
 * A service run as a child process: its output prefixed with its name (pino JSON
 * lines shortened to `LEVEL message {fields}`), the last lines kept for failure
 * reports, and a graceful stop (SIGTERM, then SIGKILL after a grace period).
 */
import type { Subprocess } from 'bun'

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}

/** A pino JSON line as one short human line; other lines unchanged. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line
  try {
    const {
      level,
      msg,
      time: _t,
      service: _s,
      name: _n,
      pid: _p,
      hostname: _h,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>
    const fields = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''
    return `${LEVELS[level as number] ?? String(level)} ${String(msg ?? '')}${fields}`
  } catch {
    return line
  }
}

export interface ChildProcess {
  name: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** The last `keep` output lines, oldest first. */
  tail(): string[]
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>
}

/**
 * @example const auth = startChild('auth', [process.execPath, 'services/auth/src/main.ts'], env, (l) => console.log(l))
 */
export function startChild(
  name: string,
  cmd: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void,
  keep = 40,
  /** Sees every raw output line first; returning false keeps it off `print` (it stays in the tail). */
  onLine?: (raw: string) => boolean,
): ChildProcess {
  const proc = Bun.spawn(cmd, { env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const lines: string[] = []
  const prefix = `${name.padEnd(8)}| `
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let pending = ''
    const decoder = new TextDecoder()
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true })
      const parts = pending.split('\n')
      pending = parts.pop()!
      for (const raw of parts) {
        // Kept raw and formatted only when shown: under `harness up` most lines go to
        // the dashboard's buffer (which parses them once) and never to the terminal.
        lines.push(raw)
        if (lines.length > keep) lines.shift()
        if (onLine?.(raw) ?? true) print(prefix + formatLogLine(raw))
      }
    }
    if (pending && (onLine?.(pending) ?? true)) print(prefix + formatLogLine(pending))
  }
  void pump(proc.stdout)
  void pump(proc.stderr)
  return {
    name,
    proc,
    tail: () => lines.map(formatLogLine),
    async stop(graceMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode) return proc.exitCode
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      const code = await proc.exited
      clearTimeout(timer)
      return code
    },
  }
}
