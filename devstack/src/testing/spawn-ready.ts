/**
 * Spawns a process and times how long it takes to print a line matching `ready`.
 */
import type { Subprocess } from 'bun'

export interface ReadyProcess {
  proc: Subprocess<'ignore', 'pipe', 'inherit'>
  /** Milliseconds from spawn to the ready line. */
  readyMs: number
  /** The ready line and everything printed before it. */
  lines: string[]
}

/**
 * @throws when the process exits or `timeoutMs` passes before the ready line.
 * @example const { proc, readyMs } = await spawnUntilReady([process.execPath, 'devstack/src/cli.ts'], /^devstack ready/)
 */
export async function spawnUntilReady(
  cmd: string[],
  ready: RegExp,
  timeoutMs = 10_000,
): Promise<ReadyProcess> {
  const t0 = performance.now()
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'inherit', stdin: 'ignore' })
  const lines: string[] = []
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader()
  const timer = setTimeout(() => proc.kill(), timeoutMs)
  let pending = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done)
        throw new Error(
          `${cmd.join(' ')} exited before printing ${ready}; output:\n${lines.join('\n')}`,
        )
      pending += value
      const parts = pending.split('\n')
      pending = parts.pop()!
      for (const line of parts) {
        lines.push(line)
        if (ready.test(line)) {
          const readyMs = performance.now() - t0
          reader.releaseLock()
          return { proc, readyMs, lines }
        }
      }
    }
  } finally {
    clearTimeout(timer)
  }
}
