/**
 * NODE_ENV=production is strict: no deployable starts on an embedded store
 * (PGlite, the MongoDB stand-in, the in-process read model), without a broker,
 * or with signing keys taken from whatever registers as `auth` in Consul. Each
 * exits 78 (EX_CONFIG) naming what is missing.
 */
import { expect, test } from 'bun:test'
import { mainOf } from './stack-helpers.ts'

const expected: Record<string, string[]> = {
  auth: ['DATABASE_URL', 'KAFKA_BROKERS'],
  profile: ['DATABASE_URL', 'KAFKA_BROKERS', 'AUTH_JWKS_URL'],
  posts: ['MONGO_URL', 'KAFKA_BROKERS', 'AUTH_JWKS_URL'],
  feed: ['REDIS_URL or UPSTASH_REDIS_REST_URL', 'KAFKA_BROKERS', 'AUTH_JWKS_URL'],
  gateway: ['AUTH_JWKS_URL'],
}

test.each(Object.entries(expected))(
  '%s refuses to start in production without %j',
  async (name, missing) => {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', NODE_ENV: 'production' }
    // The gateway needs Consul before it checks anything else; give it an address.
    if (name === 'gateway') env.CONSUL_HTTP_ADDR = '127.0.0.1:1'
    const proc = Bun.spawn([process.execPath, mainOf(name)], {
      env,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await proc.exited
    const stderr = await new Response(proc.stderr).text()
    expect(code).toBe(78)
    for (const variable of missing) expect(stderr).toContain(`config: ${variable} is missing`)
    expect(stderr).toContain('required when NODE_ENV=production')
  },
)
