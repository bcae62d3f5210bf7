/**
 * The projector and reader on the in-process store and on Redis: fan-out, edits,
 * likes, deletes, follows, the fan-out-on-read threshold, and resistance to
 * duplicate, stale and replayed events.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { NO_REDIS_REASON, startTestRedis, type TestRedis } from '@civildiy/devstack'
import type { CloudEvent } from '@civildiy/kit'
import type { FeedStore } from '../store/feed-store.ts'
import { createMemoryStore } from '../store/memory-store.ts'
import { createRedisStore } from '../store/redis-store.ts'
import { feedKeys } from './keys.ts'
import type { FeedPage } from './model.ts'
import { createProjector, defaultFeedSettings } from './projector.ts'
import { createFeedReader } from './reader.ts'
import { comment, created, deleted, follow, liked, unfollow, updated } from './test-events.ts'

const redis: TestRedis | null = await startTestRedis()
if (!redis) console.warn(`SKIPPED projector tests on Redis: ${NO_REDIS_REASON}`)
afterAll(async () => redis?.stop())

const stores: [string, () => FeedStore][] = [['memory', () => createMemoryStore()]]
if (redis) stores.push(['redis', () => createRedisStore(redis.url)])

for (const [name, make] of stores) {
  describe(`feed on ${name}`, () => {
    function setup(fanOutThreshold = 100) {
      const store = make()
      const keys = feedKeys(`t-${randomUUID().slice(0, 8)}:`)
      const projector = createProjector(store, keys, { ...defaultFeedSettings, fanOutThreshold })
      // The reader answers JSON text; the assertions read it as the client would.
      const text = createFeedReader(store, keys)
      const parse = async (page: Promise<string>) => JSON.parse(await page) as FeedPage
      const reader = {
        home: (userId: string, limit: number, cursor?: string) =>
          parse(text.home(userId, limit, cursor)),
        global: (limit: number, cursor?: string) => parse(text.global(limit, cursor)),
        user: (userId: string, limit: number, cursor?: string) =>
          parse(text.user(userId, limit, cursor)),
      }
      const ids = async (p: Promise<{ items: { id: string }[] }>) =>
        (await p).items.map((i) => i.id)
      const cleanup = async () => {
        await store.clear(keys.prefix)
        await store.close()
      }
      return {
        store,
        keys,
        projector,
        reader,
        ids,
        cleanup,
        apply: async (...events: CloudEvent[]) => {
          for (const e of events) await projector.apply(e)
        },
      }
    }

    test('a new post reaches the global feed, the author timeline, and the homes of followers and author', async () => {
      const f = setup()
      const [author, fan, stranger, post] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
      await f.apply(follow(fan, author), created(post, author, 'hello followers'))
      expect(await f.ids(f.reader.global(10))).toEqual([post])
      expect(await f.ids(f.reader.user(author, 10))).toEqual([post])
      expect(await f.ids(f.reader.home(fan, 10))).toEqual([post])
      expect(await f.ids(f.reader.home(author, 10))).toEqual([post])
      expect(await f.ids(f.reader.home(stranger, 10))).toEqual([])
      expect((await f.reader.home(fan, 10)).items[0]).toMatchObject({
        body: 'hello followers',
        authorId: author,
        likeCount: 0,
        version: 1,
      })
      await f.cleanup()
    })

    test('edits and likes replace cached content; stale and duplicate events change nothing', async () => {
      const f = setup()
      const [author, post] = [randomUUID(), randomUUID()]
      const v2 = updated(post, author, 2, 'second')
      await f.apply(created(post, author, 'first'), v2, liked(post, author, 3, 1))
      expect(await f.projector.apply(v2)).toBe('duplicate')
      expect(await f.projector.apply(updated(post, author, 2, 'late replay of v2'))).toBe('stale')
      expect(await f.projector.apply(created(post, author, 'created again'))).toBe('applied')
      expect((await f.reader.global(10)).items).toEqual([
        expect.objectContaining({ id: post, body: 'second', likeCount: 1, version: 3 }),
      ])
      await f.cleanup()
    })

    test('a delete removes the post everywhere, and a replayed create does not bring it back', async () => {
      const f = setup()
      const [author, fan, post, other] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
      const create = created(post, author)
      await f.apply(follow(fan, author), create, created(other, author), deleted(post, author, 2))
      for (const page of [f.reader.global(10), f.reader.user(author, 10), f.reader.home(fan, 10)])
        expect(await f.ids(page)).toEqual([other])
      expect(await f.projector.apply({ ...create, id: Bun.randomUUIDv7() })).toBe('stale')
      expect(await f.ids(f.reader.global(10))).toEqual([other])
      await f.cleanup()
    })

    test('a follow merges the author timeline into the home feed, whichever came first; unfollowing removes it', async () => {
      const f = setup()
      const [author, fan, p1, p2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
      await f.apply(created(p1, author), created(p2, author), follow(fan, author))
      expect(await f.ids(f.reader.home(fan, 10))).toEqual([p2, p1])
      await f.apply(unfollow(fan, author))
      expect(await f.ids(f.reader.home(fan, 10))).toEqual([])
      await f.cleanup()
    })

    test('authors above the fan-out threshold are merged at read time instead of copied', async () => {
      const f = setup(2)
      const star = randomUUID()
      const fans = [randomUUID(), randomUUID(), randomUUID()]
      await f.apply(...fans.map((fan) => follow(fan, star)))
      const post = randomUUID()
      await f.apply(created(post, star))
      // Not fanned out: no follower's home set holds it...
      expect(await f.store.latest(f.keys.home(fans[0]!), 10)).toEqual([])
      // ...yet every follower sees it.
      for (const fan of fans) expect(await f.ids(f.reader.home(fan, 10))).toEqual([post])
      await f.apply(unfollow(fans[0]!, star))
      expect(await f.ids(f.reader.home(fans[0]!, 10))).toEqual([])
      await f.cleanup()
    })

    test('duplicated and shuffled redelivery ends in the same feeds as in-order delivery (rebuild reproduces)', async () => {
      const authors = [randomUUID(), randomUUID()]
      const fan = randomUUID()
      const events: CloudEvent[] = [follow(fan, authors[0]!), follow(fan, authors[1]!)]
      const posts: string[] = []
      for (let i = 0; i < 12; i++) {
        const id = randomUUID()
        const author = authors[i % 2]!
        posts.push(id)
        events.push(created(id, author, `p${i}`))
        if (i % 3 === 0) events.push(updated(id, author, 2, `p${i} edited`))
        if (i % 4 === 0) events.push(deleted(id, author, 3))
      }
      const snapshot = async (f: ReturnType<typeof setup>) => ({
        global: (await f.reader.global(100)).items,
        home: (await f.reader.home(fan, 100)).items,
      })
      const inOrder = setup()
      await inOrder.apply(...events)
      const expected = await snapshot(inOrder)
      expect(expected.global).toHaveLength(9)
      // Redelivery: every event again, later events of a post re-sent before earlier ones.
      const replayed = setup()
      await replayed.apply(...events, ...events.toReversed(), ...events)
      expect(await snapshot(replayed)).toEqual(expected)
      await inOrder.cleanup()
      await replayed.cleanup()
    })

    test('a post counts its live comments, whatever order, duplicates or redeliveries bring them in', async () => {
      const f = setup()
      const [author, post] = [randomUUID(), randomUUID()]
      const [kept, edited, removed] = [comment(post), comment(post), comment(post)]
      const countOf = async () => (await f.reader.user(author, 10)).items[0]?.commentCount
      // A comment before its post (the topics are consumed independently): counted once the post comes.
      await f.apply(kept.created())
      await f.apply(created(post, author))
      expect(await countOf()).toBe(1)
      const rest = [edited.created(), edited.updated(2), removed.created(), removed.deleted(2)]
      await f.apply(...rest)
      expect(await countOf()).toBe(2)
      // Redelivered in reverse: the deleted comment's create after its delete stays deleted.
      await f.apply(...rest.toReversed().map((e) => ({ ...e, id: randomUUID() })))
      expect(await countOf()).toBe(2)
      // A post edit and a like keep the count; the change log tells body caches about both.
      await f.apply(updated(post, author, 2, 'edited'), liked(post, author, 3, 1))
      expect((await f.reader.user(author, 10)).items[0]).toMatchObject({
        body: 'edited',
        likeCount: 1,
        commentCount: 2,
      })
      const head = await f.store.changeHead(f.keys.changes)
      await f.apply(kept.deleted(2))
      expect(await countOf()).toBe(1)
      expect(await f.store.changeHead(f.keys.changes)).not.toBe(head)
      await f.cleanup()
    })

    test('pages follow score-based cursors and reject malformed ones', async () => {
      const f = setup()
      const author = randomUUID()
      const ids: string[] = []
      for (let i = 0; i < 7; i++) {
        const id = randomUUID()
        ids.push(id)
        await f.apply(created(id, author))
      }
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await f.reader.user(author, 3, cursor)
        seen.push(...page.items.map((i) => i.id))
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      expect(seen).toEqual(ids.toReversed())
      await expect(f.reader.global(3, 'garbage')).rejects.toThrow('cursor')
      await f.cleanup()
    })
  })
}

describe('crash safety', () => {
  test('a delete interrupted after its tombstone is finished when the event is redelivered', async () => {
    const store = createMemoryStore()
    const keys = feedKeys('crash:')
    const projector = createProjector(store, keys, defaultFeedSettings)
    const [author, fan, post] = [randomUUID(), randomUUID(), randomUUID()]
    await projector.apply(follow(fan, author))
    await projector.apply(created(post, author))
    const del = deleted(post, author, 2)
    // Simulate the crash: the tombstone is written, the removals are not, the event is not recorded.
    const realRemove = store.fanOutRemove
    store.fanOutRemove = async () => {
      throw new Error('killed')
    }
    await expect(projector.apply(del)).rejects.toThrow('killed')
    store.fanOutRemove = realRemove
    expect((await store.latest(keys.home(fan), 10)).map((x) => x.member)).toEqual([post])
    expect(await projector.apply(del)).toBe('applied')
    expect(await store.latest(keys.home(fan), 10)).toEqual([])
  })
})
