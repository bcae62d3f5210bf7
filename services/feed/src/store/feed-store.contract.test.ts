/**
 * One contract for every FeedStore adapter: in-process always; Redis (Bun's
 * RedisClient) and Upstash REST (through the devstack bridge) against a real
 * redis-server, started here or given by REDIS_URL. Pages are assembled by
 * `readPage` from each adapter's primitives, so its cases run on all three.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import {
  NO_REDIS_REASON,
  startTestRedis,
  startUpstashBridge,
  type TestRedis,
  type UpstashBridge,
} from '@civildiy/devstack'
import { type PageQuery, readPage, storeBodies } from '../feed/page.ts'
import type { FeedPost, FeedStore } from './feed-store.ts'
import { createMemoryStore } from './memory-store.ts'
import { createRedisStore } from './redis-store.ts'
import { createUpstashStore } from './upstash-store.ts'

const redis: TestRedis | null = await startTestRedis()
if (!redis) console.warn(`SKIPPED FeedStore contract on Redis and Upstash: ${NO_REDIS_REASON}`)
let bridge: UpstashBridge | null = null
afterAll(async () => {
  await bridge?.stop()
  await redis?.stop()
})

const adapters: [string, () => Promise<FeedStore>][] = [['memory', async () => createMemoryStore()]]
if (redis) {
  adapters.push(['redis', async () => createRedisStore(redis.url)])
  adapters.push([
    'upstash',
    async () => {
      bridge ??= await startUpstashBridge({ redisUrl: redis.url, port: 0 })
      return createUpstashStore({ url: bridge.url, token: bridge.token })
    },
  ])
}

const post = (id: string, score: number, extra: Partial<FeedPost> = {}): FeedPost => ({
  id,
  authorId: 'a',
  body: `body ${id}`,
  createdAt: new Date(score).toISOString(),
  updatedAt: new Date(score).toISOString(),
  version: 1,
  likeCount: 0,
  ...extra,
})

for (const [name, make] of adapters) {
  describe(`FeedStore on ${name}`, () => {
    let store: FeedStore
    let p: string
    beforeAll(async () => {
      store = await make()
    })
    afterAll(async () => {
      await store.clear(p)
      await store.close()
    })
    const page = (q: PageQuery & { postPrefix: string }) =>
      readPage(store, q, storeBodies(store, q.postPrefix))
    const fresh = () => {
      p = `contract:${randomUUID().slice(0, 8)}:`
      return p
    }
    /** A home-feed query under `pre` that merges followed high-follower authors. */
    const mergedHome = (pre: string) => ({
      timeline: `${pre}home:me`,
      postPrefix: `${pre}post:`,
      merge: {
        following: `${pre}following:me`,
        celebrities: `${pre}celebrities`,
        authorTimelinePrefix: `${pre}author:`,
      },
    })
    /** Every post id of a feed, read page by page through the cursor. */
    const readAllPages = async (
      q: Omit<PageQuery, 'after' | 'limit'> & { postPrefix: string },
      limit: number,
    ) => {
      const seen: string[] = []
      let after: PageQuery['after'] = null
      for (let pages = 0; pages < 100; pages++) {
        const rows = await page({ ...q, after, limit })
        if (!rows.length) break
        seen.push(...rows.map((x) => x.id))
        const last = rows.at(-1)!
        after = { score: last.score, id: last.id }
      }
      return seen
    }

    test('remembers processed event ids until their TTL passes; keeps metadata', async () => {
      const k = `${fresh()}event:1`
      expect(await store.wasProcessed(k)).toBe(false)
      await store.markProcessed(k, 80)
      expect(await store.wasProcessed(k)).toBe(true)
      await Bun.sleep(150)
      expect(await store.wasProcessed(k)).toBe(false)
      await store.setMeta(`${p}meta`, 'feed-v2')
      expect(await store.getMeta(`${p}meta`)).toBe('feed-v2')
      expect(await store.getMeta(`${p}missing`)).toBeNull()
    })

    test('sorted sets keep the newest `cap` members; sets count and list members', async () => {
      const pre = fresh()
      for (let i = 1; i <= 5; i++)
        await store.add([`${pre}z1`, `${pre}z2`], 1_700_000_000_000 + i, `m${i}`, 3)
      expect(await store.latest(`${pre}z1`, 10)).toEqual([
        { member: 'm5', score: 1_700_000_000_005 },
        { member: 'm4', score: 1_700_000_000_004 },
        { member: 'm3', score: 1_700_000_000_003 },
      ])
      await store.remove([`${pre}z1`], 'm4')
      expect((await store.latest(`${pre}z1`, 10)).map((x) => x.member)).toEqual(['m5', 'm3'])
      expect(await store.setAdd(`${pre}s`, 'u1')).toBe(true)
      expect(await store.setAdd(`${pre}s`, 'u1')).toBe(false)
      await store.setAdd(`${pre}s`, 'u2')
      expect((await store.setMembers(`${pre}s`)).sort()).toEqual(['u1', 'u2'])
      expect(await store.setSize(`${pre}s`)).toBe(2)
      expect(await store.setRemove(`${pre}s`, 'u1')).toBe(true)
      expect(await store.setRemove(`${pre}s`, 'u1')).toBe(false)
    })

    test('latest reads newest first up to a score; intersect and getMany', async () => {
      const pre = fresh()
      for (const [m, score] of [
        ['a', 10],
        ['b', 20],
        ['c', 20],
        ['d', 30],
      ] as const)
        await store.add([`${pre}z`], score, m, 10)
      expect(await store.latest(`${pre}z`, 2, 20)).toEqual([
        { member: 'c', score: 20 },
        { member: 'b', score: 20 },
      ])
      expect((await store.latest(`${pre}z`, 10, 19)).map((x) => x.member)).toEqual(['a'])
      expect(await store.latest(`${pre}missing`, 10, 19)).toEqual([])
      for (const m of ['x', 'y', 'z']) await store.setAdd(`${pre}s1`, m)
      for (const m of ['y', 'z', 'w']) await store.setAdd(`${pre}s2`, m)
      expect((await store.intersect(`${pre}s1`, `${pre}s2`)).sort()).toEqual(['y', 'z'])
      expect(await store.intersect(`${pre}s1`, `${pre}none`)).toEqual([])
      await store.setPost(`${pre}post:1`, post('1', 1))
      const [one, none] = await store.getMany([`${pre}post:1`, `${pre}post:2`])
      expect(JSON.parse(one!)).toEqual(post('1', 1))
      expect(none).toBeNull()
      expect(await store.getMany([])).toEqual([])
    })

    test('the change log keeps ordered ids, reads after an id, and trims to about its cap', async () => {
      const log = `${fresh()}changes`
      expect(await store.changeHead(log)).toBeNull()
      expect(await store.changesAfter(log, null, 10)).toEqual({ first: null, entries: [] })
      for (let i = 0; i < 5; i++) await store.appendChange(log, `p${i}`, 1_000)
      const all = (await store.changesAfter(log, null, 10)).entries
      expect(all.map((e) => e.member)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4'])
      expect(await store.changeHead(log)).toBe(all[4]!.id)
      const after = await store.changesAfter(log, all[1]!.id, 2)
      expect(after).toEqual({ first: all[0]!.id, entries: all.slice(2, 4) })
      // Redis trims a stream in whole nodes (MAXLEN ~), so push well past the cap.
      for (let i = 0; i < 400; i++) await store.appendChange(log, `q${i}`, 10)
      const { first, entries } = await store.changesAfter(log, null, 1_000)
      expect(entries.length).toBeLessThan(400)
      expect(entries[0]!.id).toBe(first!)
      expect(entries.at(-1)!.member).toBe('q399')
    })

    test('a page is newest first with bodies, skips ids without a post, and pages stably through equal scores', async () => {
      const pre = fresh()
      const t = 1_795_000_000_123
      const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']
      // p3..p5 share a millisecond: ties order by id, descending.
      const scores = [t, t + 1, t + 2, t + 2, t + 2, t + 3]
      for (const [i, id] of ids.entries()) {
        await store.setPost(`${pre}post:${id}`, post(id, scores[i]!))
        await store.add([`${pre}home`], scores[i]!, id, 100)
      }
      await store.add([`${pre}home`], t + 4, 'ghost', 100)
      await store.deletePost(`${pre}post:p2`)
      const q = { timeline: `${pre}home`, postPrefix: `${pre}post:` }
      const first = await page({ ...q, after: null, limit: 3 })
      expect(first.map((x) => x.id)).toEqual(['p6', 'p5', 'p4'])
      // Rows carry the post as stored: its JSON text, which pages are spliced from.
      expect(first[0]).toEqual({ id: 'p6', score: t + 3, json: expect.any(String) })
      expect(JSON.parse(first[0]!.json)).toEqual(post('p6', t + 3))
      const last = first.at(-1)!
      const second = await page({
        ...q,
        after: { score: last.score, id: last.id },
        limit: 3,
      })
      expect(second.map((x) => x.id)).toEqual(['p3', 'p1'])
    })

    test('a page fills up past runs of missing posts and long runs of equal scores', async () => {
      const pre = fresh()
      const t = 1_795_000_000_000
      const q = { timeline: `${pre}home`, postPrefix: `${pre}post:` }
      // 12 posts in one millisecond, then 30 ids whose posts are gone, then 3 older posts.
      const tied = Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`)
      for (const id of tied) {
        await store.setPost(`${pre}post:${id}`, post(id, t + 100))
        await store.add([`${pre}home`], t + 100, id, 100)
      }
      for (let i = 0; i < 30; i++) await store.add([`${pre}home`], t + 50 + i, `gone${i}`, 100)
      for (const [i, id] of ['o1', 'o2', 'o3'].entries()) {
        await store.setPost(`${pre}post:${id}`, post(id, t + i))
        await store.add([`${pre}home`], t + i, id, 100)
      }
      expect(await readAllPages(q, 2)).toEqual([...tied].reverse().concat(['o3', 'o2', 'o1']))
    })

    test('a page merges the timelines of followed high-follower authors, once each', async () => {
      const pre = fresh()
      const q = mergedHome(pre)
      await store.setPost(`${pre}post:a1`, post('a1', 10))
      await store.setPost(`${pre}post:c1`, post('c1', 20))
      await store.setPost(`${pre}post:c2`, post('c2', 30))
      await store.setPost(`${pre}post:x1`, post('x1', 40))
      await store.add([`${pre}home:me`], 10, 'a1', 100)
      await store.add([`${pre}author:star`], 20, 'c1', 100)
      await store.add([`${pre}author:star`, `${pre}home:me`], 30, 'c2', 100)
      await store.add([`${pre}author:other-star`], 40, 'x1', 100)
      await store.setAdd(`${pre}following:me`, 'star')
      await store.setAdd(`${pre}celebrities`, 'star')
      await store.setAdd(`${pre}celebrities`, 'other-star')
      expect((await page({ ...q, after: null, limit: 10 })).map((x) => x.id)).toEqual([
        'c2',
        'c1',
        'a1',
      ])
    })

    test('a merged page stays in order when one timeline is mostly missing posts and shares posts with another', async () => {
      const pre = fresh()
      const q = mergedHome(pre)
      await store.setAdd(`${pre}following:me`, 'star')
      await store.setAdd(`${pre}celebrities`, 'star')
      // Home: h2..h20 at even scores. The star: s1..s39 at odd scores, only three of
      // which still have a post; s1 was also fanned out into home before.
      for (let score = 2; score <= 20; score += 2) {
        await store.setPost(`${pre}post:h${score}`, post(`h${score}`, score))
        await store.add([`${pre}home:me`], score, `h${score}`, 100)
      }
      for (let score = 1; score <= 39; score += 2) {
        await store.add([`${pre}author:star`], score, `s${score}`, 100)
        if ([1, 21, 39].includes(score))
          await store.setPost(`${pre}post:s${score}`, post(`s${score}`, score))
      }
      await store.add([`${pre}home:me`], 1, 's1', 100)
      const expected = [
        's39',
        's21',
        ...[20, 18, 16, 14, 12, 10, 8, 6, 4, 2].map((s) => `h${s}`),
        's1',
      ]
      for (const limit of [1, 2, 3, 5, 20]) expect(await readAllPages(q, limit)).toEqual(expected)
    })

    test('a merged page pages stably through scores tied across three timelines', async () => {
      const pre = fresh()
      const q = mergedHome(pre)
      for (const star of ['star', 'nova']) {
        await store.setAdd(`${pre}following:me`, star)
        await store.setAdd(`${pre}celebrities`, star)
      }
      // Scores 1..6, each held by one post in every timeline: ties go id-descending.
      const all: { id: string; score: number }[] = []
      for (let score = 1; score <= 6; score++)
        for (const [timeline, tag] of [
          ['home:me', 'h'],
          ['author:star', 's'],
          ['author:nova', 'n'],
        ] as const) {
          const id = `${tag}${score}`
          await store.setPost(`${pre}post:${id}`, post(id, score))
          await store.add([`${pre}${timeline}`], score, id, 100)
          all.push({ id, score })
        }
      const expected = all
        .sort((x, y) => y.score - x.score || (x.id < y.id ? 1 : -1))
        .map((x) => x.id)
      expect(expected.slice(0, 3)).toEqual(['s6', 'n6', 'h6'])
      for (const limit of [1, 2, 4, 7, 30]) expect(await readAllPages(q, limit)).toEqual(expected)
    })

    test('fan-out adds to (and removes from) every follower set and the extra keys in one call', async () => {
      const pre = fresh()
      for (const f of ['f1', 'f2', 'f3']) await store.setAdd(`${pre}followers`, f)
      await store.fanOut(`${pre}followers`, `${pre}home:`, [`${pre}home:author`], 42, 'post', 2)
      for (const h of ['f1', 'f2', 'f3', 'author'])
        expect(await store.latest(`${pre}home:${h}`, 5)).toEqual([{ member: 'post', score: 42 }])
      await store.fanOut(`${pre}followers`, `${pre}home:`, [], 43, 'p2', 2)
      await store.fanOut(`${pre}followers`, `${pre}home:`, [], 44, 'p3', 2)
      expect((await store.latest(`${pre}home:f1`, 5)).map((x) => x.member)).toEqual(['p3', 'p2'])
      await store.fanOutRemove(`${pre}followers`, `${pre}home:`, [`${pre}home:author`], 'p3')
      await store.fanOutRemove(`${pre}followers`, `${pre}home:`, [`${pre}home:author`], 'post')
      expect((await store.latest(`${pre}home:f2`, 5)).map((x) => x.member)).toEqual(['p2'])
      expect(await store.latest(`${pre}home:author`, 5)).toEqual([])
    })

    test('concurrent fan-outs of many posts to overlapping followers all land, each home trimmed to its cap', async () => {
      const pre = fresh()
      const authors = ['a0', 'a1', 'a2', 'a3', 'a4']
      const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7']
      // Author ai is followed by every user whose number is at least i (overlapping sets).
      for (const [i, a] of authors.entries())
        for (const u of users.slice(i)) await store.setAdd(`${pre}followers:${a}`, u)
      const cap = 7
      const posts = Array.from({ length: 40 }, (_, n) => ({ author: authors[n % 5]!, score: n }))
      // Started together: the Redis adapters send some of these as one batch.
      await Promise.all(
        posts.map((x) =>
          store.fanOut(
            `${pre}followers:${x.author}`,
            `${pre}home:`,
            [`${pre}home:${x.author}`],
            x.score,
            `p${x.score}`,
            cap,
          ),
        ),
      )
      for (const [i, u] of users.entries()) {
        const expected = posts
          .filter((x) => authors.indexOf(x.author) <= i)
          .map((x) => `p${x.score}`)
          .reverse()
          .slice(0, cap)
        expect((await store.latest(`${pre}home:${u}`, 50)).map((x) => x.member)).toEqual(expected)
      }
      expect((await store.latest(`${pre}home:a3`, 50)).map((x) => x.member)).toEqual(
        posts
          .filter((x) => x.author === 'a3')
          .map((x) => `p${x.score}`)
          .reverse()
          .slice(0, cap),
      )
    })

    test('applyComment counts live comments into the stored post; a deleted comment never comes back', async () => {
      const pre = fresh()
      const c = (commentId: string, deleted = false) => ({
        post: `${pre}post:p`,
        live: `${pre}comments:p`,
        gone: `${pre}comments-gone:p`,
        commentId,
        deleted,
      })
      // No post yet: the sets move, the post is not written.
      expect(await store.applyComment(c('c1'))).toBe(false)
      expect(await store.getPost(`${pre}post:p`)).toBeNull()
      await store.setPost(`${pre}post:p`, post('p', 1, { commentCount: 99 }), `${pre}comments:p`)
      expect((await store.getPost(`${pre}post:p`))?.commentCount).toBe(1)
      expect(await store.applyComment(c('c2'))).toBe(true)
      expect(await store.applyComment(c('c2'))).toBe(false)
      expect(await store.applyComment(c('c3', true))).toBe(false)
      expect(await store.applyComment(c('c3'))).toBe(false)
      expect(await store.applyComment(c('c1', true))).toBe(true)
      const stored = await store.getPost(`${pre}post:p`)
      expect(stored).toEqual(post('p', 1, { commentCount: 1 }))
      // The page serves the stored JSON: the count is part of it, once.
      const [json] = await store.getMany([`${pre}post:p`])
      expect(JSON.parse(json!)).toEqual(stored)
      expect(json!.match(/commentCount/g)).toHaveLength(1)
      // A body that looks like the count is left alone.
      const tricky = post('p', 1, { body: 'a "commentCount":7} here' })
      await store.setPost(`${pre}post:p`, tricky, `${pre}comments:p`)
      expect(await store.applyComment(c('c4'))).toBe(true)
      expect(await store.getPost(`${pre}post:p`)).toEqual({ ...tricky, commentCount: 2 })
      // Without a comments key a post is stored as given (tombstones).
      await store.setPost(`${pre}gone:p`, post('p', 2, { deleted: true }))
      expect(await store.getPost(`${pre}gone:p`)).toEqual(post('p', 2, { deleted: true }))
    })

    test('mergeInto unites two sorted sets, keeping the higher score, trimmed to the cap', async () => {
      const pre = fresh()
      await store.add([`${pre}home`], 10, 'a', 100)
      await store.add([`${pre}home`], 15, 'shared', 100)
      await store.add([`${pre}author`], 20, 'b', 100)
      await store.add([`${pre}author`], 30, 'c', 100)
      await store.add([`${pre}author`], 16, 'shared', 100)
      await store.mergeInto(`${pre}home`, `${pre}author`, 3)
      expect(await store.latest(`${pre}home`, 10)).toEqual([
        { member: 'c', score: 30 },
        { member: 'b', score: 20 },
        { member: 'shared', score: 16 },
      ])
      await store.mergeInto(`${pre}empty-home`, `${pre}missing`, 3)
      expect(await store.latest(`${pre}empty-home`, 10)).toEqual([])
    })

    test('clear removes every key under a prefix and nothing else', async () => {
      const pre = fresh()
      const other = `contract-other:${randomUUID().slice(0, 8)}:`
      await store.setPost(`${pre}post:1`, post('1', 1))
      await store.setPost(`${other}post:1`, post('1', 1))
      await store.clear(pre)
      expect(await store.getPost(`${pre}post:1`)).toBeNull()
      expect(await store.getPost(`${other}post:1`)).toEqual(post('1', 1))
      await store.clear(other)
    })
  })
}
