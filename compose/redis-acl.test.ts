/**
 * The feed's Redis ACL user, as compose.yaml defines it, is enough for everything
 * the feed does and no more: on a real Redis (Debian's redis-server) with that
 * user, the projector applies follows, posts, edits and deletes (the fan-out
 * script included), pages are read with the body cache's change log, and the
 * model is cleared; a key outside `feed:*`, and an administrative command, are refused.
 */
import { afterAll, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { NO_REDIS_REASON, startTestRedis } from '@civildiy/devstack'
import { RedisClient } from 'bun'
import { parse } from 'yaml'
import { openBodyCache } from '../services/feed/src/feed/body-cache.ts'
import { feedKeys } from '../services/feed/src/feed/keys.ts'
import { createProjector, defaultFeedSettings } from '../services/feed/src/feed/projector.ts'
import { createFeedReader } from '../services/feed/src/feed/reader.ts'
import { created, deleted, follow, updated } from '../services/feed/src/feed/test-events.ts'
import { createRedisStore } from '../services/feed/src/store/redis-store.ts'

const redis = await startTestRedis()
if (!redis) console.warn(`SKIPPED the feed's Redis ACL user: ${NO_REDIS_REASON}`)
afterAll(async () => redis?.stop())

/** The feed user's ACL rules from compose.yaml's redis command, password left out. */
async function feedUserRules(): Promise<string[]> {
  const compose = parse(await Bun.file(join(import.meta.dir, 'compose.yaml')).text()) as {
    services: { redis: { command: string[] } }
  }
  const args = compose.services.redis.command
  const start = args.findIndex((a, i) => args[i - 1] === '--user' && a === 'feed')
  const end = args.indexOf('--user', start)
  return args.slice(start + 1, end < 0 ? undefined : end).filter((a) => !a.startsWith('>'))
}

test.skipIf(!redis)('the feed works as its ACL user and cannot reach beyond it', async () => {
  const admin = new RedisClient(redis!.url)
  const user = `feed-acl-${randomUUID().slice(0, 8)}`
  const rules = await feedUserRules()
  expect(rules).toContain('~feed:*')
  await admin.send('ACL', ['SETUSER', user, 'reset', '>acl-test-password', ...rules])
  const url = new URL(redis!.url)
  url.username = user
  url.password = 'acl-test-password'
  const store = createRedisStore(url.toString())
  try {
    const keys = feedKeys(`feed:acl-${randomUUID().slice(0, 8)}:`)
    // A threshold of 1: the second follower makes the author merged at read time.
    const projector = createProjector(store, keys, { ...defaultFeedSettings, fanOutThreshold: 1 })
    const [a, b, fan, p1, p2] = Array.from({ length: 5 }, () => randomUUID()) as [
      string,
      string,
      string,
      string,
      string,
    ]
    for (const e of [
      follow(fan, a),
      follow(fan, b),
      follow(a, b),
      created(p1, a, 'first'),
      created(p2, b, 'second'),
      updated(p1, a, 2, 'first, edited'),
      deleted(p2, b, 2),
    ])
      expect(['applied', 'duplicate']).toContain(await projector.apply(e))
    const reader = createFeedReader(store, keys, openBodyCache(store, keys, 100))
    const page = JSON.parse(await reader.home(fan, 20)) as {
      items: { id: string; body: string }[]
    }
    expect(page.items.map((i) => [i.id, i.body])).toEqual([[p1, 'first, edited']])
    await store.clear(keys.prefix)
    expect((JSON.parse(await reader.global(20)) as { items: unknown[] }).items).toEqual([])

    await expect(store.getMeta('not-feed:anything')).rejects.toThrow(/NOPERM/)
    const asUser = new RedisClient(url.toString())
    await expect(asUser.send('FLUSHALL', [])).rejects.toThrow(/NOPERM/)
    await expect(asUser.send('KEYS', ['*'])).rejects.toThrow(/NOPERM/)
    asUser.close()
  } finally {
    await store.close()
    await admin.send('ACL', ['DELUSER', user])
    admin.close()
  }
})
