/** Request and response schemas of `GET /search`. */
import { JsonInteger } from '@civildiy/kit'
import { type Static, t } from 'elysia'

export const SearchQuery = t.Object({
  q: t.String({
    minLength: 1,
    maxLength: 200,
    description: 'web-search syntax: words, "quoted phrases", -excluded, or',
    examples: ['tomatoes -greenhouse'],
  }),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 50, default: 20 })),
  cursor: t.Optional(t.String({ maxLength: 100, description: 'nextCursor of the previous page' })),
})
export type SearchQuery = Static<typeof SearchQuery>

/** A piece of a snippet: `match` marks the words the query matched. */
export const SnippetPart = t.Object({ text: t.String(), match: t.Boolean() })
export type SnippetPart = Static<typeof SnippetPart>

export const SearchHit = t.Object({
  postId: t.String({ format: 'uuid' }),
  authorId: t.String({ format: 'uuid' }),
  /** The best fragments of the body, as plain text parts (no markup to escape). */
  snippet: t.Array(SnippetPart),
  rank: t.Number(),
  createdAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  version: JsonInteger(),
})
export type SearchHit = Static<typeof SearchHit>

export const SearchPage = t.Object({
  items: t.Array(SearchHit),
  nextCursor: t.Union([t.String(), t.Null()]),
})
export type SearchPage = Static<typeof SearchPage>
