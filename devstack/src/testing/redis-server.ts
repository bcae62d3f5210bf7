/**
 * A real Redis for tests: the one at REDIS_URL when set, else a `redis-server`
 * started on a free loopback port with persistence off, else null (the caller
 * skips, saying why).
 */
import { createServer } from 'node:net'

export interface TestRedis {
  url: string
  /** Stops the server if this helper started it. */
  stop(): Promise<void>
}

/** Why no Redis is available, when {@link startTestRedis} returns null. */
export const NO_REDIS_REASON =
  'no REDIS_URL and no redis-server binary on PATH (apt-get install redis-server)'

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/**
 * @throws when redis-server is present but does not answer within 5 s.
 * @example
 * const redis = await startTestRedis()
 * if (!redis) console.warn(`SKIPPED: ${NO_REDIS_REASON}`)
 */
export async function startTestRedis(
  o: {
    /** Never the shared REDIS_URL: a server of its own, for a test that flushes it. */
    ownServer?: boolean
  } = {},
): Promise<TestRedis | null> {
  if (process.env.REDIS_URL && !o.ownServer)
    return { url: process.env.REDIS_URL, stop: async () => {} }
  const binary = Bun.which('redis-server')
  if (!binary) return null
  const port = await freePort()
  const proc = Bun.spawn(
    [binary, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdout: 'ignore', stderr: 'pipe' },
  )
  const deadline = Date.now() + 5_000
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      Bun.connect({
        hostname: '127.0.0.1',
        port,
        socket: {
          open(s) {
            s.write('PING\r\n')
          },
          data(s, d) {
            resolve(d.toString().startsWith('+PONG'))
            s.end()
          },
          connectError() {
            resolve(false)
          },
        },
      }).catch(() => resolve(false))
    })
    if (ok) break
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill()
      throw new Error(
        `redis-server did not start on port ${port}: ${await new Response(proc.stderr).text()}`,
      )
    }
    await Bun.sleep(20)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      proc.kill()
      await proc.exited
    },
  }
}
