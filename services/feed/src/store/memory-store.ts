/**
 * The in-process FeedStore: the embedded default for `npm start` (one feed
 * instance; rebuilt from the events on restart, which is the CQRS point: the read
 * model is disposable). Same semantics as the Redis adapters, proven by the same
 * contract suite.
 */
import {
  type ChangeEntry,
  compareChangeIds,
  compareNewestFirst,
  type FeedPost,
  type FeedStore,
} from './feed-store.ts'

export function createMemoryStore(now: () => number = Date.now): FeedStore {
  const zsets = new Map<string, Map<string, number>>()
  const sets = new Map<string, Set<string>>()
  const posts = new Map<string, FeedPost>()
  const claims = new Map<string, number>()
  const meta = new Map<string, string>()
  const logs = new Map<string, ChangeEntry[]>()
  // Store-wide and never reset, as Redis stream ids are time-based: a log rebuilt
  // after `clear` must not reuse ids a body cache has already seen.
  let nextChangeId = 1
  const zset = (key: string) => {
    let z = zsets.get(key)
    if (!z) {
      z = new Map()
      zsets.set(key, z)
    }
    return z
  }
  const sorted = (key: string) =>
    [...(zsets.get(key) ?? [])].map(([id, score]) => ({ id, score })).sort(compareNewestFirst)

  const add = (keys: string[], score: number, member: string, cap: number) => {
    for (const key of keys) {
      const z = zset(key)
      z.set(member, score)
      if (z.size > cap) for (const { id } of sorted(key).slice(cap)) z.delete(id)
    }
  }
  const remove = (keys: string[], member: string) => {
    for (const key of keys) zsets.get(key)?.delete(member)
  }
  const setOf = (key: string) => {
    let s = sets.get(key)
    if (!s) {
      s = new Set()
      sets.set(key, s)
    }
    return s
  }
  const followerKeys = (setKey: string, prefix: string, extra: string[]) => [
    ...extra,
    ...[...(sets.get(setKey) ?? [])].map((id) => `${prefix}${id}`),
  ]

  return {
    wasProcessed: async (key) => (claims.get(key) ?? 0) > now(),
    async markProcessed(key, ttlMs) {
      const t = now()
      claims.set(key, t + ttlMs)
      if (claims.size > 200_000) for (const [id, until] of claims) if (until <= t) claims.delete(id)
    },
    getMeta: async (key) => meta.get(key) ?? null,
    async setMeta(key, value) {
      meta.set(key, value)
    },
    // FeedPost holds only primitives: a shallow copy keeps callers from mutating the store.
    getPost: async (key) => {
      const post = posts.get(key)
      return post ? { ...post } : null
    },
    async setPost(key, post, commentsKey) {
      const { commentCount, ...rest } = post
      const count = commentsKey === undefined ? commentCount : (sets.get(commentsKey)?.size ?? 0)
      posts.set(key, count === undefined ? rest : { ...rest, commentCount: count })
    },
    async applyComment(c) {
      const live = setOf(c.live)
      const gone = setOf(c.gone)
      if (c.deleted) {
        gone.add(c.commentId)
        live.delete(c.commentId)
      } else if (!gone.has(c.commentId)) live.add(c.commentId)
      const post = posts.get(c.post)
      if (!post || post.commentCount === live.size) return false
      const { commentCount: _old, ...rest } = post
      posts.set(c.post, { ...rest, commentCount: live.size })
      return true
    },
    async deletePost(key) {
      posts.delete(key)
    },
    add: async (keys, score, member, cap) => add(keys, score, member, cap),
    remove: async (keys, member) => remove(keys, member),
    fanOut: async (setKey, prefix, extra, score, member, cap) =>
      add(followerKeys(setKey, prefix, extra), score, member, cap),
    fanOutRemove: async (setKey, prefix, extra, member) =>
      remove(followerKeys(setKey, prefix, extra), member),
    async mergeInto(target, source, cap) {
      for (const { id, score } of sorted(source)) {
        const t = zset(target)
        t.set(id, Math.max(score, t.get(id) ?? Number.NEGATIVE_INFINITY))
      }
      const z = zset(target)
      if (z.size > cap) for (const { id } of sorted(target).slice(cap)) z.delete(id)
    },
    latest: async (key, limit, maxScore = Number.POSITIVE_INFINITY) =>
      sorted(key)
        .filter((x) => x.score <= maxScore)
        .slice(0, limit)
        .map(({ id, score }) => ({ member: id, score })),
    async intersect(a, b) {
      const other = sets.get(b) ?? new Set()
      return [...(sets.get(a) ?? [])].filter((m) => other.has(m))
    },
    getMany: async (keys) =>
      keys.map((key) => {
        const post = posts.get(key)
        return post ? JSON.stringify(post) : null
      }),
    async appendChange(log, member, maxLen) {
      let entries = logs.get(log)
      if (!entries) {
        entries = []
        logs.set(log, entries)
      }
      entries.push({ id: `${nextChangeId++}-0`, member })
      if (entries.length > maxLen) entries.splice(0, entries.length - maxLen)
    },
    changeHead: async (log) => logs.get(log)?.at(-1)?.id ?? null,
    async changesAfter(log, after, count) {
      const entries = logs.get(log) ?? []
      return {
        first: entries[0]?.id ?? null,
        entries: entries
          .filter((e) => after === null || compareChangeIds(e.id, after) > 0)
          .slice(0, count),
      }
    },
    async setAdd(key, member) {
      const s = setOf(key)
      if (s.has(member)) return false
      s.add(member)
      return true
    },
    setRemove: async (key, member) => sets.get(key)?.delete(member) ?? false,
    setMembers: async (key) => [...(sets.get(key) ?? [])],
    setSize: async (key) => sets.get(key)?.size ?? 0,
    async clear(prefix) {
      for (const m of [zsets, sets, posts, meta, logs] as Map<string, unknown>[])
        for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k)
      claims.clear()
    },
    async close() {},
  }
}
