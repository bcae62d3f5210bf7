/** Starting services as real processes for cross-service tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Devstack, startDevstack, startPglite } from '@civildiy/devstack'
import { consulClient, discoverService } from '@civildiy/kit'
import type { Subprocess } from 'bun'

const root = join(import.meta.dir, '..', '..')

/** Entry point of a deployable: `gateway/src/main.ts` or `services/<name>/src/main.ts`. */
export function mainOf(name: string): string {
  return name === 'gateway'
    ? join(root, 'gateway', 'src', 'main.ts')
    : join(root, 'services', name, 'src', 'main.ts')
}

/**
 * Spawns a service (or the gateway) on a free port, advertising loopback. With
 * `lines`, its output (stdout and stderr) is collected there instead of printed.
 */
export function spawnService(
  name: string,
  env: Record<string, string>,
  lines?: string[],
): Subprocess {
  const proc = Bun.spawn([process.execPath, mainOf(name)], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      ADVERTISE_ADDRESS: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      DATABASE_URL: '',
      MONGO_URL: '',
      REDIS_URL: '',
      ...env,
    },
    stdout: lines ? 'pipe' : 'inherit',
    stderr: lines ? 'pipe' : 'inherit',
  })
  if (lines) {
    for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        let pending = ''
        const decoder = new TextDecoder()
        for await (const chunk of stream) {
          const parts = (pending + decoder.decode(chunk, { stream: true })).split('\n')
          pending = parts.pop()!
          lines.push(...parts)
        }
      })()
    }
  }
  return proc
}

/** Polls `read` until `ok` holds; errors count as "not yet". */
export async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await read().catch(() => undefined as T)
    if (v !== undefined && ok(v)) return v
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await Bun.sleep(50)
  }
}

/** A devstack (Kafka, Consul, MongoDB, a PGlite per Postgres service) with the named services running against it. */
export interface RunningStack {
  stack: Devstack
  procs: Record<string, Subprocess>
  /** The environment that points a service at this stack's servers. */
  envFor(name: string): Record<string, string>
  stop(): Promise<void>
}

/** Starts the devstack and `services` against it; `env` adds to every service's environment. */
export async function startStack(
  services: string[],
  env: Record<string, string> = {},
): Promise<RunningStack> {
  const stack = await startDevstack({
    only: ['kafka', 'consul', 'mongo'],
    kafka: { port: 0, log: () => {} },
    consul: { port: 0 },
    mongo: { port: 0, log: () => {} },
  })
  // A PGlite server is one session: one each for the Postgres services.
  const pg = Object.fromEntries(
    await Promise.all(
      ['auth', 'profile', 'search', 'notifications']
        .filter((s) => services.includes(s))
        .map(async (s) => [s, await startPglite({ port: 0 })] as const),
    ),
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-'))
  const common = {
    CONSUL_HTTP_ADDR: stack.url('consul')!,
    KAFKA_BROKERS: stack.url('kafka')!.replace('kafka://', ''),
    MONGO_URL: stack.url('mongo')!,
    DATA_DIR: dataDir,
    ...env,
  }
  const envFor = (name: string) => ({
    ...common,
    ...(pg[name] ? { DATABASE_URL: pg[name]!.url } : {}),
  })
  const procs = Object.fromEntries(services.map((name) => [name, spawnService(name, envFor(name))]))
  return {
    stack,
    procs,
    envFor,
    async stop() {
      for (const p of Object.values(procs)) p.kill('SIGTERM')
      await Promise.all(Object.values(procs).map((p) => p.exited))
      await stack.stop()
      for (const p of Object.values(pg)) await p.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * The gateway's URL once every service of `running` passes in Consul and the
 * gateway sees all of them (`/gateway/health` ok).
 * @throws when that does not happen within 50 s.
 */
export async function gatewayOf(running: RunningStack): Promise<string> {
  const consul = consulClient(running.stack.url('consul')!)
  const names = Object.keys(running.procs)
  const urls = await Promise.all(
    names.map((s) =>
      until(() => discoverService(consul, s), Boolean, 30_000, `${s} passing in Consul`),
    ),
  )
  const gateway = urls[names.indexOf('gateway')]!
  await until(
    () => fetch(`${gateway}/gateway/health`).then((r) => r.json() as Promise<{ status: string }>),
    (h) => h.status === 'ok',
    20_000,
    'the gateway to see every service',
  )
  return gateway
}
