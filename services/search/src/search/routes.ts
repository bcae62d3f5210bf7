/** `GET /search`: a thin controller over the search service. */
import { Elysia } from 'elysia'
import { SearchPage, SearchQuery } from './model.ts'
import type { SearchService } from './service.ts'

export function searchRoutes(search: SearchService) {
  return new Elysia({ name: 'search-routes' }).get(
    '/search',
    ({ query }) => search.search(query.q, query.limit ?? 20, query.cursor),
    {
      query: SearchQuery,
      response: { 200: SearchPage },
      detail: {
        summary: 'Posts matching a query, best first (deleted posts never; edits once indexed)',
        tags: ['search'],
      },
    },
  )
}
