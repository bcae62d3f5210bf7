/**
 * Reads feed pages: the caller's home feed (with followed high-follower authors
 * merged in), the global feed, and one user's posts. Cursors are score-based
 * (creation time and post id), so pages stay stable while new posts arrive. A page
 * is returned as FeedPage JSON text spliced from the stored posts, which the read
 * model keeps in their API shape: no parse, date formatting or serialization per
 * item on the read path.
 */
import { BadRequestError } from '@civildiy/kit'
import type { FeedStore } from '../store/feed-store.ts'
import type { FeedKeys } from './keys.ts'
import { type BodySource, type PageQuery, readPage, storeBodies } from './page.ts'

/** Each method resolves to a FeedPage as JSON text. @throws BadRequestError on a malformed cursor. */
export interface FeedReader {
  home(userId: string, limit: number, cursor?: string): Promise<string>
  global(limit: number, cursor?: string): Promise<string>
  user(userId: string, limit: number, cursor?: string): Promise<string>
}

function decode(cursor: string | undefined): PageQuery['after'] {
  if (!cursor) return null
  try {
    const [score, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [number, string]
    if (typeof score !== 'number' || !Number.isFinite(score) || typeof id !== 'string')
      throw new Error('bad')
    return { score, id }
  } catch {
    throw new BadRequestError(
      'The cursor is malformed; pass back the nextCursor of a previous page',
      [{ field: '/cursor', message: 'malformed cursor' }],
    )
  }
}

/**
 * @param bodies where post bodies come from: the body cache, or the store itself (default).
 * @example const reader = createFeedReader(store, keys, createBodyCache(store, { log: keys.changes, postPrefix: keys.postPrefix, maxEntries: 50_000 }))
 */
export function createFeedReader(
  store: FeedStore,
  k: FeedKeys,
  bodies: BodySource = storeBodies(store, k.postPrefix),
): FeedReader {
  const read = async (
    q: Omit<PageQuery, 'after' | 'limit'>,
    limit: number,
    cursor?: string,
  ): Promise<string> => {
    // One extra item tells whether another page exists.
    const rows = await readPage(store, { ...q, after: decode(cursor), limit: limit + 1 }, bodies)
    const page = rows.length > limit ? rows.slice(0, limit) : rows
    const last = page.at(-1)
    const nextCursor =
      rows.length > limit && last
        ? `"${Buffer.from(JSON.stringify([last.score, last.id])).toString('base64url')}"`
        : 'null'
    return `{"items":[${page.map((r) => r.json).join(',')}],"nextCursor":${nextCursor}}`
  }
  return {
    home: (userId, limit, cursor) =>
      read(
        {
          timeline: k.home(userId),
          merge: {
            following: k.following(userId),
            celebrities: k.celebrities,
            authorTimelinePrefix: k.authorPrefix,
          },
        },
        limit,
        cursor,
      ),
    global: (limit, cursor) => read({ timeline: k.global }, limit, cursor),
    user: (userId, limit, cursor) => read({ timeline: k.author(userId) }, limit, cursor),
  }
}
