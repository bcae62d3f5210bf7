/**
 * devstack servers in their own process (in memory, on free ports), the way
 * `npm start` runs them, so a benchmark's load generator and pollers do not share
 * the servers' event loop.
 */
import { join } from 'node:path'
import { spawnUntilReady } from '@civildiy/devstack'
import type { Subprocess } from 'bun'

const cli = join(import.meta.dir, '..', '..', 'devstack', 'src', 'cli.ts')

export type DevstackServer = 'kafka' | 'mongo' | 'consul'

export interface SpawnedDevstack {
  /** The URL devstack printed for a server (`kafka://host:port`, `mongodb://…`, `http://…`). */
  url(server: DevstackServer): string
  /** Kafka bootstrap addresses, `host:port` (empty without kafka). */
  brokers: string[]
  proc: Subprocess
  /** Milliseconds from spawn to the ready line. */
  readyMs: number
  stop(): Promise<void>
}

/**
 * @throws when devstack does not print its ready line within 10 s, or omits a server's URL.
 * @example const stack = await spawnDevstack(['kafka']); kafkaClient({ brokers: stack.brokers, clientId: 'bench', logger }); await stack.stop()
 */
export async function spawnDevstack(servers: DevstackServer[]): Promise<SpawnedDevstack> {
  const ports = servers.flatMap((s) => [`--${s}-port`, '0'])
  const { proc, lines, readyMs } = await spawnUntilReady(
    [process.execPath, cli, '--in-memory', '--only', servers.join(','), ...ports],
    /^devstack ready/,
  )
  const urls = new Map<string, string>()
  for (const line of lines) {
    const [name, url] = line.trim().split(/\s+/)
    if (name && url?.includes('://')) urls.set(name, url)
  }
  const missing = servers.filter((s) => !urls.has(s))
  if (missing.length) {
    proc.kill()
    throw new Error(`devstack printed no URL for ${missing.join(', ')}:\n${lines.join('\n')}`)
  }
  return {
    url: (server) => urls.get(server) ?? '',
    brokers: urls.has('kafka') ? [urls.get('kafka')!.replace('kafka://', '')] : [],
    proc,
    readyMs,
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}
