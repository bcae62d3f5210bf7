/**
 * Where each service of a `harness up` stack keeps its data, written to
 * `.data/stack.json` for `harness backup` and `restore`: the URL, and for an
 * embedded stand-in its process and data directory.
 */
import { join, resolve } from 'node:path'
import type { StoreLocation } from '../stack-file.ts'

/**
 * @param dataDir the stack's DATA_DIR, absolute.
 * @param given the real servers the environment names (their stores have no process here).
 */
export function storeLocations(o: {
  dataDir: string
  postgres: Record<string, string>
  mongo: string
  mongoDb: string
  redis: string | undefined
  given: { postgres: boolean; mongo: boolean }
}): Record<string, StoreLocation> {
  const stores: Record<string, StoreLocation> = {}
  for (const [service, url] of Object.entries(o.postgres))
    stores[service] = o.given.postgres
      ? { kind: 'postgres', url }
      : {
          kind: 'postgres',
          url,
          process: `pg-${service}`,
          dataDir: join(resolve(o.dataDir), service, 'pg'),
        }
  stores.posts = o.given.mongo
    ? { kind: 'mongo', url: o.mongo, database: o.mongoDb }
    : {
        kind: 'mongo',
        url: o.mongo,
        database: o.mongoDb,
        process: 'mongo',
        dataDir: join(resolve(o.dataDir), 'devstack', 'mongo'),
      }
  if (o.redis) stores.feed = { kind: 'redis', url: o.redis }
  return stores
}
