/**
 * FeedStore on Upstash Redis REST (`@upstash/redis`), for edge deployments. Same
 * commands and the same page script as the Redis adapter, over HTTPS; fan-out
 * writes go in one pipeline request.
 */
import { createHash } from 'node:crypto'
import { Redis } from '@upstash/redis'
import type { FeedPost, FeedStore } from './feed-store.ts'
import { FANOUT_SCRIPT, PAGE_SCRIPT, pageScriptArgs, parsePageReply } from './page-script.ts'

const sha1 = (script: string) => createHash('sha1').update(script).digest('hex')
const PAGE_SHA = sha1(PAGE_SCRIPT)
const FANOUT_SHA = sha1(FANOUT_SCRIPT)

/** @example const store = createUpstashStore({ url: 'https://…upstash.io', token }) */
export function createUpstashStore(o: { url: string; token: string }): FeedStore {
  // Values are our own JSON; keep them as strings rather than letting the client guess.
  const redis = new Redis({ url: o.url, token: o.token, automaticDeserialization: false })
  const evalScript = async (sha: string, script: string, keys: string[], args: string[]) => {
    try {
      return await redis.evalsha(sha, keys, args)
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err
      return redis.eval(script, keys, args)
    }
  }
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
    async setPost(key, post) {
      await redis.set(key, JSON.stringify(post))
    },
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
    async latest(key, limit) {
      const flat = (await redis.zrange(key, 0, limit - 1, { rev: true, withScores: true })) as (
        | string
        | number
      )[]
      const out: { member: string; score: number }[] = []
      for (let i = 0; i + 1 < flat.length; i += 2)
        out.push({ member: String(flat[i]), score: Number(flat[i + 1]) })
      return out
    },
    setAdd: async (key, member) => (await redis.sadd(key, member)) === 1,
    setRemove: async (key, member) => (await redis.srem(key, member)) === 1,
    setMembers: async (key) => (await redis.smembers(key)).map(String),
    setSize: (key) => redis.scard(key),
    async page(q) {
      const { keys, args } = pageScriptArgs(q)
      return parsePageReply(await evalScript(PAGE_SHA, PAGE_SCRIPT, keys, args))
    },
    async fanOut(setKey, prefix, extra, score, member, cap) {
      await evalScript(
        FANOUT_SHA,
        FANOUT_SCRIPT,
        [setKey],
        [prefix, String(score), member, String(cap), ...extra],
      )
    },
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
