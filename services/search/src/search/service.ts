/**
 * Queries the search index: PostgreSQL full-text search with the web-search query
 * syntax (`websearch_to_tsquery`: words, "phrases", -exclusions, or), ranked by
 * cover density (`ts_rank_cd`), newest first among equals, with highlighted
 * snippets (`ts_headline`) returned as plain-text parts rather than markup.
 * Source: https://www.postgresql.org/docs/current/textsearch-controls.html
 */
import { BadRequestError } from '@civildiy/kit'
import type { Sql } from 'postgres'
import type { SearchHit, SearchPage, SnippetPart } from './model.ts'

/** Results beyond this many are not served (ranked search has no stable keyset): refine the query. */
export const MAX_RESULTS = 1_000

const START = '\u0001'
const STOP = '\u0002'

export interface SearchService {
  /**
   * One page of posts matching `q`, best first.
   * @throws BadRequestError for a cursor this service did not issue.
   */
  search(q: string, limit: number, cursor?: string): Promise<SearchPage>
}

interface Row {
  post_id: string
  author_id: string
  version: number
  created_at: Date | null
  rank: number
  snippet: string
}

/** `ts_headline` output with START/STOP around matches, split into parts. */
export function snippetParts(marked: string): SnippetPart[] {
  const parts: SnippetPart[] = []
  for (const [i, piece] of marked.split(START).entries()) {
    if (i === 0) {
      if (piece) parts.push({ text: piece, match: false })
      continue
    }
    const [hit = '', rest = ''] = piece.split(STOP)
    if (hit) parts.push({ text: hit, match: true })
    if (rest) parts.push({ text: rest, match: false })
  }
  return parts
}

const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString('base64url')

function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0
  const m = /^o:(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  const offset = m ? Number(m[1]) : Number.NaN
  if (!Number.isInteger(offset) || offset >= MAX_RESULTS)
    throw new BadRequestError('cursor is not one this service issued')
  return offset
}

/**
 * @param language the text search configuration queries are parsed with (SEARCH_LANGUAGE).
 * @example const page = await createSearchService(sql, 'english').search('fox', 20)
 */
export function createSearchService(sql: Sql, language: string): SearchService {
  return {
    async search(q, limit, cursor) {
      const offset = decodeCursor(cursor)
      const take = Math.min(limit, MAX_RESULTS - offset)
      // The sentinels are removed from the body first, so no post can forge a match.
      const rows = await sql<Row[]>`
        select p.post_id, p.author_id, p.version, p.created_at,
          ts_rank_cd(p.doc, query) as rank,
          ts_headline(p.language, translate(p.body, ${START + STOP}, ''), query,
            ${`StartSel=${START}, StopSel=${STOP}, MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" … "`}) as snippet
        from search_posts p, websearch_to_tsquery(${language}::regconfig, ${q}) as query
        where not p.deleted and p.doc @@ query
        order by rank desc, p.created_at desc nulls last, p.post_id
        limit ${take + 1} offset ${offset}`
      const items: SearchHit[] = rows.slice(0, take).map((r) => ({
        postId: r.post_id,
        authorId: r.author_id,
        snippet: snippetParts(r.snippet),
        rank: r.rank,
        createdAt: r.created_at?.toISOString() ?? null,
        version: r.version,
      }))
      const more = rows.length > take && offset + take < MAX_RESULTS
      return { items, nextCursor: more ? encodeCursor(offset + take) : null }
    },
  }
}
