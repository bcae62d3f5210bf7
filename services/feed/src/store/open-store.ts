/** Picks the FeedStore adapter from the configuration. */
import type { Logger } from '@civildiy/kit'
import type { FeedStore } from './feed-store.ts'
import { createMemoryStore } from './memory-store.ts'
import { createRedisStore } from './redis-store.ts'
import { createUpstashStore } from './upstash-store.ts'

export function openFeedStore(
  c: { REDIS_URL?: string; UPSTASH_REDIS_REST_URL?: string; UPSTASH_REDIS_REST_TOKEN?: string },
  logger: Logger,
): { store: FeedStore; kind: 'redis' | 'upstash' | 'memory' } {
  if (c.REDIS_URL) return { store: createRedisStore(c.REDIS_URL), kind: 'redis' }
  if (c.UPSTASH_REDIS_REST_URL && c.UPSTASH_REDIS_REST_TOKEN)
    return {
      store: createUpstashStore({
        url: c.UPSTASH_REDIS_REST_URL,
        token: c.UPSTASH_REDIS_REST_TOKEN,
      }),
      kind: 'upstash',
    }
  logger.warn(
    'no REDIS_URL or UPSTASH_REDIS_REST_URL: the read model is kept in process and rebuilt from the events on every start (one feed instance only)',
  )
  return { store: createMemoryStore(), kind: 'memory' }
}
