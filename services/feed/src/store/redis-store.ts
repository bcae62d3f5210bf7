/**
 * FeedStore on Redis through Bun's built-in RedisClient (`redis://` URLs).
 * Independent commands issued together are pipelined by the client; the page read
 * is one EVALSHA.
 */
import { createHash } from 'node:crypto'
import { RedisClient } from 'bun'
import type { FeedPost, FeedStore } from './feed-store.ts'
import { PAGE_SCRIPT, pageScriptArgs, parsePageReply } from './page-script.ts'

const PAGE_SHA = createHash('sha1').update(PAGE_SCRIPT).digest('hex')

/** Pairs from ZRANGE ... WITHSCORES, whichever shape the protocol version gives (RESP3 pairs or RESP2 flat). */
function pairs(reply: unknown): { member: string; score: number }[] {
  const rows = (reply ?? []) as unknown[]
  if (rows.length && Array.isArray(rows[0]))
    return (rows as [string, number | string][]).map(([m, s]) => ({
      member: String(m),
      score: Number(s),
    }))
  const out: { member: string; score: number }[] = []
  for (let i = 0; i + 1 < rows.length; i += 2)
    out.push({ member: String(rows[i]), score: Number(rows[i + 1]) })
  return out
}

/** @example const store = createRedisStore('redis://127.0.0.1:6379') */
export function createRedisStore(url: string): FeedStore {
  const redis = new RedisClient(url)
  const send = (cmd: string, args: (string | number)[]) => redis.send(cmd, args.map(String))
  return {
    claim: async (key, ttlMs) => (await send('SET', [key, '1', 'NX', 'PX', ttlMs])) === 'OK',
    async release(key) {
      await send('DEL', [key])
    },
    getMeta: async (key) => ((await send('GET', [key])) as string | null) ?? null,
    async setMeta(key, value) {
      await send('SET', [key, value])
    },
    async getPost(key) {
      const json = (await send('GET', [key])) as string | null
      return json ? (JSON.parse(json) as FeedPost) : null
    },
    async setPost(key, post) {
      await send('SET', [key, JSON.stringify(post)])
    },
    async add(keys, score, member, cap) {
      await Promise.all(
        keys.flatMap((k) => [
          send('ZADD', [k, score, member]),
          send('ZREMRANGEBYRANK', [k, 0, -(cap + 1)]),
        ]),
      )
    },
    async remove(keys, member) {
      await Promise.all(keys.map((k) => send('ZREM', [k, member])))
    },
    latest: async (key, limit) =>
      pairs(await send('ZRANGE', [key, 0, limit - 1, 'REV', 'WITHSCORES'])),
    setAdd: async (key, member) => Number(await send('SADD', [key, member])) === 1,
    setRemove: async (key, member) => Number(await send('SREM', [key, member])) === 1,
    setMembers: async (key) => ((await send('SMEMBERS', [key])) as string[]).map(String),
    setSize: async (key) => Number(await send('SCARD', [key])),
    async page(q) {
      const { keys, args } = pageScriptArgs(q)
      try {
        return parsePageReply(await send('EVALSHA', [PAGE_SHA, keys.length, ...keys, ...args]))
      } catch (err) {
        if (!String((err as Error).message).includes('NOSCRIPT')) throw err
        return parsePageReply(await send('EVAL', [PAGE_SCRIPT, keys.length, ...keys, ...args]))
      }
    },
    async clear(prefix) {
      let cursor = '0'
      do {
        const [next, keys] = (await send('SCAN', [
          cursor,
          'MATCH',
          `${prefix}*`,
          'COUNT',
          1000,
        ])) as [string, string[]]
        if (keys.length) await send('UNLINK', keys)
        cursor = String(next)
      } while (cursor !== '0')
    },
    async close() {
      redis.close()
    },
  }
}
