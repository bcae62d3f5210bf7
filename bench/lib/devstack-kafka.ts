/**
 * The devstack Kafka broker as its own process (in memory, on a free port), the
 * way `npm start` runs it, so a benchmark's load generator and poller do not share
 * the broker's event loop.
 */
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { spawnUntilReady } from './spawn-ready.ts'

const cli = join(import.meta.dir, '..', '..', 'devstack', 'src', 'cli.ts')

export interface SpawnedKafka {
  /** Bootstrap addresses, `host:port`. */
  brokers: string[]
  proc: Subprocess
  /** Milliseconds from spawn to the ready line. */
  readyMs: number
  stop(): Promise<void>
}

/**
 * @throws when the broker does not print its ready line within 10 s.
 * @example const kafka = await spawnKafkaBroker(); kafkaClient(kafka.brokers, 'bench', logger); await kafka.stop()
 */
export async function spawnKafkaBroker(): Promise<SpawnedKafka> {
  const { proc, lines, readyMs } = await spawnUntilReady(
    [process.execPath, cli, '--in-memory', '--only', 'kafka', '--kafka-port', '0'],
    /^devstack ready/,
  )
  const address = lines
    .find((l) => l.startsWith('kafka'))
    ?.split('kafka://')[1]
    ?.split(' ')[0]
  if (!address) {
    proc.kill()
    throw new Error(`devstack printed no kafka address:\n${lines.join('\n')}`)
  }
  return {
    brokers: [address],
    proc,
    readyMs,
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}
