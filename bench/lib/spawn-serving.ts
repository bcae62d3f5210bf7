/**
 * Spawns a server process for a benchmark and waits until it answers: the
 * benchmarks' processes log at `error` on 127.0.0.1 unless `env` says otherwise.
 */
import type { Subprocess } from 'bun'

export interface SpawnServingOptions {
  /** Added to this process's environment (after HOST=127.0.0.1, LOG_LEVEL=error). */
  env?: Record<string, string>
  /** A URL that answers 2xx once the server is up. */
  probe: string
  /** Default 30 s. */
  timeoutMs?: number
}

/**
 * @throws when `probe` does not answer 2xx within `timeoutMs` (the process is killed then).
 * @example const proc = await spawnServing([process.execPath, 'services/feed/src/main.ts'], { env: { PORT: '4004' }, probe: 'http://127.0.0.1:4004/health/live' })
 */
export async function spawnServing(cmd: string[], o: SpawnServingOptions): Promise<Subprocess> {
  const proc = Bun.spawn(cmd, {
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'error', ...o.env },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const deadline = Date.now() + (o.timeoutMs ?? 30_000)
  while (
    !(await fetch(o.probe).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill()
      throw new Error(`${cmd.join(' ')} did not answer ${o.probe}`)
    }
    await Bun.sleep(20)
  }
  return proc
}
