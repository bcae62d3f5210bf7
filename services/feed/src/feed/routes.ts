/** HTTP routes of the feed service. */
import { type JwtVerifier, type Logger, requireAuth } from '@civildiy/kit'
import { Elysia } from 'elysia'
import { type LiveFeedOptions, liveHomeFeed } from './live.ts'
import { FeedPage, FeedQuery, UserIdParams } from './model.ts'
import type { FeedReader } from './reader.ts'

export function feedRoutes(d: {
  reader: FeedReader
  verify: JwtVerifier
  logger: Logger
  live?: LiveFeedOptions
}) {
  const tags = ['feed']
  return new Elysia({ name: 'feed-routes' }).group('/feed', (app) =>
    app
      .get('/global', ({ query }) => d.reader.global(query.limit ?? 20, query.cursor), {
        query: FeedQuery,
        response: { 200: FeedPage },
        detail: { summary: 'Everyone’s posts, newest first', tags },
      })
      .get(
        '/users/:id',
        ({ params, query }) => d.reader.user(params.id, query.limit ?? 20, query.cursor),
        {
          params: UserIdParams,
          query: FeedQuery,
          response: { 200: FeedPage },
          detail: { summary: 'One user’s posts, newest first', tags },
        },
      )
      .use(requireAuth(d.verify))
      .get('/', ({ auth, query }) => d.reader.home(auth.userId, query.limit ?? 20, query.cursor), {
        query: FeedQuery,
        response: { 200: FeedPage },
        detail: { summary: 'The caller’s home feed', tags },
      })
      .get(
        '/live',
        ({ auth }) =>
          new Response(liveHomeFeed(d.reader, auth.userId, d.logger, d.live), {
            headers: {
              'content-type': 'text/event-stream',
              'cache-control': 'no-store',
              'x-accel-buffering': 'no',
            },
          }),
        {
          detail: {
            summary: 'New posts of the caller’s home feed as Server-Sent Events (`event: post`)',
            tags,
          },
        },
      ),
  )
}
