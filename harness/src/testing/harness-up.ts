/**
 * `harness up` as a real child process for tests: every port free and chosen
 * here, its data in a temporary folder, embedded servers only (the environment's
 * real ones are blanked), resolved once its stack file appears.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@civildiy/devstack'
import type { Subprocess } from 'bun'
import { readStackFile, type StackInfo } from '../stack-file.ts'

export interface RunningHarness {
  stack: StackInfo
  dataDir: string
  stackFile: string
  proc: Subprocess
  /** SIGINT (the services deregister), then removes the data folder. */
  stop(): Promise<void>
}

const cli = join(import.meta.dir, '..', 'cli.ts')

/**
 * `<NAME>_PORT` for every port `harness up` binds, each free and all distinct: two
 * probes of a free port can return the same one, and then one server (the
 * harness's own, bound first) would answer where another is expected.
 */
async function harnessPorts(): Promise<Record<string, string>> {
  const names = [
    'GATEWAY',
    'AUTH',
    'PROFILE',
    'POSTS',
    'FEED',
    'FEED_READ',
    'SEARCH',
    'UPSTASH',
    'KAFKA',
    'MONGO',
    'CONSUL',
    'DASHBOARD',
  ]
  const taken = new Set<number>()
  const ports: Record<string, string> = {}
  for (const name of names) {
    let port = await freePort()
    while (taken.has(port)) port = await freePort()
    taken.add(port)
    ports[`${name}_PORT`] = String(port)
  }
  return ports
}

/**
 * The environment for a `harness up` of embedded servers only: this process's
 * environment with distinct free ports, `dataDir`, and every real server blanked.
 */
export async function harnessUpEnv(dataDir: string): Promise<Record<string, string | undefined>> {
  return {
    ...process.env,
    ...(await harnessPorts()),
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    MONGO_URL: '',
    KAFKA_BROKERS: '',
    CONSUL_HTTP_ADDR: '',
    REDIS_URL: '',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
  }
}

/**
 * @throws when `harness up` exits or is not up within `timeoutMs`.
 * @example const h = await startHarnessUp(); ...; await h.stop()
 */
export async function startHarnessUp(
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<RunningHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'harness-up-'))
  const proc = Bun.spawn([process.execPath, cli, 'up'], {
    env: { ...(await harnessUpEnv(dataDir)), LOG_LEVEL: 'error', ...env },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const stackFile = join(dataDir, 'stack.json')
  const stop = async () => {
    proc.kill('SIGINT')
    await proc.exited
    rmSync(dataDir, { recursive: true, force: true })
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const stack = await readStackFile(stackFile).catch(() => null)
    if (stack) return { stack, dataDir, stackFile, proc, stop }
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(
        `harness up ${proc.exitCode !== null ? `exited (${proc.exitCode})` : 'did not start in time'}`,
      )
    }
    await Bun.sleep(100)
  }
}
