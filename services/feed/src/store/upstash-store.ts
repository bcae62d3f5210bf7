/**
 * FeedStore on Upstash Redis REST (`@upstash/redis`), for edge deployments. Same
 * commands and the same fan-out script as the Redis adapter, over HTTPS; fan-out
 * writes go in one pipeline request, and the reads a page issues together are
 * sent as one request by the client's auto-pipelining.
 */
import { createHash } from 'node:crypto'
import { Redis } from '@upstash/redis'
import { COMMENT_SCRIPT, COUNTED_POST_SCRIPT, uncountedJson } from './comment-count-script.ts'
import { fanOutBatchArgs, fanOutBatcher } from './fanout-batcher.ts'
import { FANOUT_BATCH_SCRIPT, FANOUT_SCRIPT } from './fanout-script.ts'
import type { FeedPost, FeedStore } from './feed-store.ts'
import { changeEntries } from './stream-reply.ts'

const sha1 = (script: string) => createHash('sha1').update(script).digest('hex')
const FANOUT_SHA = sha1(FANOUT_SCRIPT)
const FANOUT_BATCH_SHA = sha1(FANOUT_BATCH_SCRIPT)
const COMMENT_SHA = sha1(COMMENT_SCRIPT)
const COUNTED_POST_SHA = sha1(COUNTED_POST_SCRIPT)

/** @example const store = createUpstashStore({ url: 'https://…upstash.io', token }) */
export function createUpstashStore(o: { url: string; token: string }): FeedStore {
  // Values are our own JSON; keep them as strings rather than letting the client guess.
  const redis = new Redis({
    url: o.url,
    token: o.token,
    automaticDeserialization: false,
    enableAutoPipelining: true,
  })
  const evalScript = async (sha: string, script: string, keys: string[], args: string[]) => {
    try {
      return await redis.evalsha(sha, keys, args)
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err
      return redis.eval(script, keys, args)
    }
  }
  const fanOut = fanOutBatcher(async (items) => {
    const { keys, args } = fanOutBatchArgs(items)
    await evalScript(FANOUT_BATCH_SHA, FANOUT_BATCH_SCRIPT, keys, args)
  })
  return {
    wasProcessed: async (key) => (await redis.exists(key)) === 1,
    async markProcessed(key, ttlMs) {
      await redis.set(key, '1', { px: ttlMs })
    },
    getMeta: async (key) => (await redis.get<string>(key)) ?? null,
    async setMeta(key, value) {
      await redis.set(key, value)
    },
    async getPost(key) {
      const json = await redis.get<string>(key)
      return json ? (JSON.parse(json) as FeedPost) : null
    },
    async setPost(key, post, commentsKey) {
      if (commentsKey === undefined) await redis.set(key, JSON.stringify(post))
      else
        await evalScript(
          COUNTED_POST_SHA,
          COUNTED_POST_SCRIPT,
          [key, commentsKey],
          [uncountedJson(post)],
        )
    },
    applyComment: async (c) =>
      Number(
        await evalScript(
          COMMENT_SHA,
          COMMENT_SCRIPT,
          [c.post, c.live, c.gone],
          [c.commentId, c.deleted ? '1' : '0'],
        ),
      ) === 1,
    async deletePost(key) {
      await redis.del(key)
    },
    async add(keys, score, member, cap) {
      if (!keys.length) return
      const p = redis.pipeline()
      for (const k of keys) {
        p.zadd(k, { score, member })
        p.zremrangebyrank(k, 0, -(cap + 1))
      }
      await p.exec()
    },
    async remove(keys, member) {
      if (!keys.length) return
      const p = redis.pipeline()
      for (const k of keys) p.zrem(k, member)
      await p.exec()
    },
    async mergeInto(target, source, cap) {
      const p = redis.pipeline()
      p.zunionstore(target, 2, [target, source], { aggregate: 'max' })
      p.zremrangebyrank(target, 0, -(cap + 1))
      await p.exec()
    },
    async latest(key, limit, maxScore) {
      const flat = (await redis.zrange(key, maxScore ?? '+inf', '-inf', {
        byScore: true,
        rev: true,
        offset: 0,
        count: limit,
        withScores: true,
      })) as (string | number)[]
      const out: { member: string; score: number }[] = []
      for (let i = 0; i + 1 < flat.length; i += 2)
        out.push({ member: String(flat[i]), score: Number(flat[i + 1]) })
      return out
    },
    setAdd: async (key, member) => (await redis.sadd(key, member)) === 1,
    setRemove: async (key, member) => (await redis.srem(key, member)) === 1,
    setMembers: async (key) => (await redis.smembers(key)).map(String),
    setSize: (key) => redis.scard(key),
    intersect: async (a, b) => (await redis.sinter(a, b)).map(String),
    getMany: async (keys) => (keys.length ? await redis.mget<(string | null)[]>(...keys) : []),
    async appendChange(log, member, maxLen) {
      await redis.xadd(
        log,
        '*',
        { p: member },
        {
          trim: { type: 'MAXLEN', threshold: maxLen, comparison: '~' },
        },
      )
    },
    changeHead: async (log) =>
      changeEntries(await redis.xrevrange(log, '+', '-', 1))[0]?.id ?? null,
    async changesAfter(log, after, count) {
      const [first, entries] = await Promise.all([
        redis.xrange(log, '-', '+', 1),
        redis.xrange(log, after === null ? '-' : `(${after}`, '+', count),
      ])
      return { first: changeEntries(first)[0]?.id ?? null, entries: changeEntries(entries) }
    },
    fanOut: (setKey, prefix, extra, score, member, cap) =>
      fanOut({ setKey, prefix, extra, score, member, cap }),
    async fanOutRemove(setKey, prefix, extra, member) {
      await evalScript(FANOUT_SHA, FANOUT_SCRIPT, [setKey], [prefix, '', member, '0', ...extra])
    },
    async clear(prefix) {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, { match: `${prefix}*`, count: 1000 })
        if (keys.length) await redis.del(...keys)
        cursor = String(next)
      } while (cursor !== '0')
    },
    async close() {},
  }
}
