/** HTTP routes of the feed service. */
import { AppError, type JwtVerifier, type Logger, requireAuth } from '@civildiy/kit'
import { type DocumentDecoration, Elysia } from 'elysia'
import { type LiveFeedOptions, liveHomeFeed } from './live.ts'
import { FeedPage, FeedQuery, UserIdParams } from './model.ts'
import type { FeedReader } from './reader.ts'

/**
 * Pages are answered as the JSON text the reader splices from the stored posts, so
 * the routes set the content type and return the text (one Response built by
 * Elysia, no validation pass over 20 items). The shape is documented in OpenAPI,
 * and typed as a FeedPage for typed clients (Eden parses the JSON text by its
 * content type, so what a client receives is that object).
 */
const asJson = (set: { headers: Record<string, unknown> }, page: Promise<string>) => {
  set.headers['content-type'] = 'application/json'
  return page as unknown as Promise<FeedPage>
}
const pageDoc = (summary: string, tags: string[]): DocumentDecoration => ({
  summary,
  tags,
  responses: {
    200: {
      description: 'A page, newest first',
      // TypeBox schemas are JSON Schema, which OpenAPI 3.1 takes as is; only the
      // TypeScript types of the two differ.
      content: { 'application/json': { schema: FeedPage as unknown as { type: 'object' } } },
    },
  },
})

/**
 * Counts open live streams per user, so one account cannot hold an unbounded
 * number of polling loops open.
 * @returns `acquire(userId)`: a release function, or AppError 429 `too_many_streams`.
 */
function streamSlots(max: number) {
  const open = new Map<string, number>()
  return (userId: string): (() => void) => {
    const n = open.get(userId) ?? 0
    if (n >= max) {
      throw new AppError(429, 'too_many_streams', `At most ${max} live streams per user`, {
        headers: { 'retry-after': '5' },
      })
    }
    open.set(userId, n + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (open.get(userId) ?? 1) - 1
      if (left > 0) open.set(userId, left)
      else open.delete(userId)
    }
  }
}

export function feedRoutes(d: {
  reader: FeedReader
  verify: JwtVerifier
  logger: Logger
  live?: LiveFeedOptions
}) {
  const tags = ['feed']
  const acquireStream = streamSlots(d.live?.maxStreamsPerUser ?? 5)
  return new Elysia({ name: 'feed-routes' }).group('/feed', (app) =>
    app
      .get(
        '/global',
        ({ query, set }) => asJson(set, d.reader.global(query.limit ?? 20, query.cursor)),
        {
          query: FeedQuery,
          detail: pageDoc('Everyone’s posts, newest first', tags),
        },
      )
      .get(
        '/users/:id',
        ({ params, query, set }) =>
          asJson(set, d.reader.user(params.id, query.limit ?? 20, query.cursor)),
        {
          params: UserIdParams,
          query: FeedQuery,
          detail: pageDoc('One user’s posts, newest first', tags),
        },
      )
      .use(requireAuth(d.verify))
      .get(
        '/',
        ({ auth, query, set }) =>
          asJson(set, d.reader.home(auth.userId, query.limit ?? 20, query.cursor)),
        {
          query: FeedQuery,
          detail: pageDoc('The caller’s home feed', tags),
        },
      )
      .get(
        '/live',
        ({ auth }) => {
          const onClose = acquireStream(auth.userId)
          return new Response(
            liveHomeFeed(d.reader, auth.userId, d.logger, { ...d.live, onClose }),
            {
              headers: {
                'content-type': 'text/event-stream',
                'cache-control': 'no-store',
                'x-accel-buffering': 'no',
              },
            },
          )
        },
        {
          detail: {
            summary:
              'New posts of the caller’s home feed as Server-Sent Events (`event: post`); at most LIVE_STREAMS_PER_USER open per user (429 beyond)',
            tags,
          },
        },
      ),
  )
}
