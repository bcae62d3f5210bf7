/**
 * FeedStore on Redis through Bun's built-in RedisClient (`redis://` URLs).
 * Independent commands issued together are pipelined by the client, so a page's
 * timeline, followed-authors and change-log reads share one round trip; fan-out is
 * one EVALSHA per batch of the posts being fanned out together (fanout-batcher.ts).
 */
import { createHash } from 'node:crypto'
import { RedisClient } from 'bun'
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
  /** EVALSHA, loading the script on NOSCRIPT (first use, or after SCRIPT FLUSH). */
  const evalScript = async (
    sha: string,
    script: string,
    keys: string[],
    args: (string | number)[],
  ) => {
    try {
      return await send('EVALSHA', [sha, keys.length, ...keys, ...args])
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err
      return send('EVAL', [script, keys.length, ...keys, ...args])
    }
  }
  const fanOut = fanOutBatcher(async (items) => {
    const { keys, args } = fanOutBatchArgs(items)
    await evalScript(FANOUT_BATCH_SHA, FANOUT_BATCH_SCRIPT, keys, args)
  })
  return {
    wasProcessed: async (key) => Number(await send('EXISTS', [key])) === 1,
    async markProcessed(key, ttlMs) {
      await send('SET', [key, '1', 'PX', ttlMs])
    },
    getMeta: async (key) => ((await send('GET', [key])) as string | null) ?? null,
    async setMeta(key, value) {
      await send('SET', [key, value])
    },
    async getPost(key) {
      const json = (await send('GET', [key])) as string | null
      return json ? (JSON.parse(json) as FeedPost) : null
    },
    async setPost(key, post, commentsKey) {
      if (commentsKey === undefined) await send('SET', [key, JSON.stringify(post)])
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
      await send('DEL', [key])
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
    async mergeInto(target, source, cap) {
      await send('ZUNIONSTORE', [target, 2, target, source, 'AGGREGATE', 'MAX'])
      await send('ZREMRANGEBYRANK', [target, 0, -(cap + 1)])
    },
    latest: async (key, limit, maxScore) =>
      pairs(
        await send('ZRANGE', [
          key,
          maxScore ?? '+inf',
          '-inf',
          'BYSCORE',
          'REV',
          'LIMIT',
          0,
          limit,
          'WITHSCORES',
        ]),
      ),
    intersect: async (a, b) => ((await send('SINTER', [a, b])) as string[]).map(String),
    getMany: async (keys) => (keys.length ? ((await send('MGET', keys)) as (string | null)[]) : []),
    async appendChange(log, member, maxLen) {
      await send('XADD', [log, 'MAXLEN', '~', maxLen, '*', 'p', member])
    },
    changeHead: async (log) =>
      changeEntries(await send('XREVRANGE', [log, '+', '-', 'COUNT', 1]))[0]?.id ?? null,
    async changesAfter(log, after, count) {
      const [first, entries] = await Promise.all([
        send('XRANGE', [log, '-', '+', 'COUNT', 1]),
        send('XRANGE', [log, after === null ? '-' : `(${after}`, '+', 'COUNT', count]),
      ])
      return { first: changeEntries(first)[0]?.id ?? null, entries: changeEntries(entries) }
    },
    setAdd: async (key, member) => Number(await send('SADD', [key, member])) === 1,
    setRemove: async (key, member) => Number(await send('SREM', [key, member])) === 1,
    setMembers: async (key) => ((await send('SMEMBERS', [key])) as string[]).map(String),
    setSize: async (key) => Number(await send('SCARD', [key])),
    fanOut: (setKey, prefix, extra, score, member, cap) =>
      fanOut({ setKey, prefix, extra, score, member, cap }),
    async fanOutRemove(setKey, prefix, extra, member) {
      await evalScript(FANOUT_SHA, FANOUT_SCRIPT, [setKey], [prefix, '', member, 0, ...extra])
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
