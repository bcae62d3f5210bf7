/** Starting services as real processes for cross-service tests. */
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const root = join(import.meta.dir, '..', '..')

/** Spawns `bun services/<name>/src/main.ts` on a free port, advertising loopback. */
export function spawnService(name: string, env: Record<string, string>): Subprocess {
  return Bun.spawn(['bun', join(root, 'services', name, 'src', 'main.ts')], {
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
    stdout: 'inherit',
    stderr: 'inherit',
  })
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
