/** HTTP routes of the feed service. */
import { type JwtVerifier, type Logger, requireAuth } from '@civildiy/kit'
import { type DocumentDecoration, Elysia } from 'elysia'
import { type LiveFeedOptions, liveHomeFeed } from './live.ts'
import { FeedPage, FeedQuery, UserIdParams } from './model.ts'
import type { FeedReader } from './reader.ts'

/**
 * Pages are answered as the JSON text the reader splices from the stored posts, so
 * the routes set the content type and return the text (one Response built by
 * Elysia, no validation pass over 20 items). The shape is documented in OpenAPI.
 */
const asJson = (set: { headers: Record<string, unknown> }, page: Promise<string>) => {
  set.headers['content-type'] = 'application/json'
  return page
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

export function feedRoutes(d: {
  reader: FeedReader
  verify: JwtVerifier
  logger: Logger
  live?: LiveFeedOptions
}) {
  const tags = ['feed']
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
