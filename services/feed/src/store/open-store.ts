/**
 * Picks the FeedStore adapter from the configuration. Each adapter's module is
 * loaded only when chosen: the Redis one is built on Bun's own client, so a feed
 * read API on Deno (Upstash REST) never loads it.
 */
import type { Logger } from '@civildiy/kit'
import type { FeedStore } from './feed-store.ts'
import { createMemoryStore } from './memory-store.ts'

/** The kind of store opened: what readiness and metrics call it. */
export type FeedStoreKind = 'redis' | 'upstash' | 'memory'

/**
 * @example const { store, kind } = await openFeedStore({ REDIS_URL: 'redis://127.0.0.1:6379' }, logger)
 */
export async function openFeedStore(
  c: { REDIS_URL?: string; UPSTASH_REDIS_REST_URL?: string; UPSTASH_REDIS_REST_TOKEN?: string },
  logger: Logger,
): Promise<{ store: FeedStore; kind: FeedStoreKind }> {
  if (c.REDIS_URL) {
    const { createRedisStore } = await import('./redis-store.ts')
    return { store: createRedisStore(c.REDIS_URL), kind: 'redis' }
  }
  if (c.UPSTASH_REDIS_REST_URL && c.UPSTASH_REDIS_REST_TOKEN) {
    const { createUpstashStore } = await import('./upstash-store.ts')
    return {
      store: createUpstashStore({
        url: c.UPSTASH_REDIS_REST_URL,
        token: c.UPSTASH_REDIS_REST_TOKEN,
      }),
      kind: 'upstash',
    }
  }
  // Info, not a warning: development's default (NODE_ENV=production requires a store).
  logger.info(
    'no REDIS_URL or UPSTASH_REDIS_REST_URL: the read model is kept in process and rebuilt from the events on every start (one feed instance only)',
  )
  return { store: createMemoryStore(), kind: 'memory' }
}
