/**
 * The search service through HTTP (`app.handle`) and its projector, on PGlite and,
 * when DATABASE_URL is set, on a real PostgreSQL: ranking and snippets, edits and
 * deletes, redelivered, duplicated and out-of-order events ending in the same
 * state, pagination, and bad input answered 400/422.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import {
  type CloudEvent,
  connectPostgres,
  createEvent,
  type Database,
  migrate,
} from '@civildiy/kit'
import {
  createTestDatabase,
  databaseKinds,
  NO_POSTGRES_REASON,
  silentLogger,
  type TestDatabase,
} from '@civildiy/kit/testing'
import { PostCreated, PostDeleted, PostUpdated } from '@civildiy/posts/events'
import { createApp } from './app.ts'
import { indexGroup } from './index/index-group.ts'
import { createSearchProjector, type SearchProjector } from './index/projector.ts'
import { migrations } from './migrations.ts'
import type { SearchPage } from './search/model.ts'
import { createSearchService, MAX_RESULTS, snippetParts } from './search/service.ts'

if (!process.env.DATABASE_URL)
  console.warn(`SKIPPED search tests on real PostgreSQL: ${NO_POSTGRES_REASON}`)

const author = randomUUID()
const created = (postId: string, body: string, version = 1, at = '2026-03-01T10:00:00Z') =>
  createEvent(PostCreated, {
    source: '/test',
    data: { postId, authorId: author, version, body, createdAt: at },
  })
const updated = (postId: string, body: string, version: number) =>
  createEvent(PostUpdated, {
    source: '/test',
    data: { postId, authorId: author, version, body, updatedAt: '2026-03-01T11:00:00Z' },
  })
const deleted = (postId: string, version: number) =>
  createEvent(PostDeleted, {
    source: '/test',
    data: { postId, authorId: author, version, deletedAt: '2026-03-01T12:00:00Z' },
  })

for (const kind of databaseKinds()) {
  describe(`search on ${kind}`, () => {
    let tdb: TestDatabase
    let db: Database
    let app: ReturnType<typeof createApp>
    let projector: SearchProjector
    const apply = async (...events: CloudEvent[]) => {
      for (const e of events)
        await projector.handlers[e.type]!(e, { topic: 't', partition: 0, offset: '0' })
    }
    const search = async (query: string) => {
      const res = await app.handle(new Request(`http://localhost/search?${query}`))
      return { status: res.status, body: (await res.json()) as SearchPage & { detail?: string } }
    }
    const ids = async (q: string) =>
      (await search(`q=${encodeURIComponent(q)}`)).body.items.map((i) => i.postId)

    beforeAll(async () => {
      tdb = await createTestDatabase(kind)
      db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
      await migrate(db.sql, 'search', migrations)
      projector = createSearchProjector(db.sql, 'english')
      app = createApp({
        search: createSearchService(db.sql, 'english'),
        logger: silentLogger('search'),
        production: true,
      })
    })
    afterAll(async () => {
      await db?.close()
      await tdb?.drop()
    })

    test('stemmed matches, best first, with the matched words marked in plain-text snippets', async () => {
      const fox = randomUUID()
      const foxes = randomUUID()
      const other = randomUUID()
      await apply(
        created(fox, 'A fox ran across the allotment at dawn'),
        created(foxes, 'Foxes running, foxes digging, foxes everywhere in the shed'),
        created(other, 'Nothing about animals here, just <b>bold</b> compost'),
      )
      const { status, body } = await search('q=fox')
      expect(status).toBe(200)
      // "Foxes" stems to "fox"; the post that says it three times ranks first.
      expect(body.items.map((i) => i.postId)).toEqual([foxes, fox])
      const parts = body.items[1]!.snippet
      expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(['fox'])
      expect(await ids('running')).toEqual([foxes])
      expect('A fox ran across the allotment at dawn').toContain(parts.map((p) => p.text).join(''))
      expect(await ids('"bold compost"')).toEqual([other])
      const nul = randomUUID()
      await apply(created(nul, 'beetroot\u0000 harvest'))
      expect(await ids('beetroot')).toEqual([nul])
      expect(await ids('compost -bold')).toEqual([])
    })

    test('an edit changes what matches; a delete removes the post, and older events cannot bring it back', async () => {
      const id = randomUUID()
      await apply(created(id, 'tomatoes in the greenhouse'))
      expect(await ids('tomatoes')).toEqual([id])
      await apply(updated(id, 'cucumbers in the greenhouse', 2))
      expect(await ids('tomatoes')).toEqual([])
      expect(await ids('cucumbers')).toEqual([id])
      await apply(deleted(id, 3))
      expect(await ids('cucumbers')).toEqual([])
      // Redelivered older events after the delete: still gone.
      await apply(created(id, 'tomatoes in the greenhouse'), updated(id, 'cucumbers again', 2))
      expect(await ids('cucumbers')).toEqual([])
      expect(await ids('tomatoes')).toEqual([])
    })

    test('duplicated and out-of-order events end in the same state as in order', async () => {
      const inOrder = randomUUID()
      const shuffled = randomUUID()
      const history = (id: string) => [
        created(id, 'first draft about beans', 1),
        updated(id, 'second draft about peas', 2),
        updated(id, 'final word on runner beans', 3),
      ]
      await apply(...history(inOrder))
      const [c, u2, u3] = history(shuffled)
      await apply(u3!, c!, u2!, u3!, c!)
      const rows =
        await db.sql`select post_id, version, body, created_at from search_posts where post_id in ${db.sql([inOrder, shuffled])} order by version`
      expect(rows.map((r) => [r.version, r.body, String(r.created_at)])).toEqual([
        [3, 'final word on runner beans', String(rows[0]!.created_at)],
        [3, 'final word on runner beans', String(rows[0]!.created_at)],
      ])
      expect(rows[0]!.created_at).not.toBeNull()
      expect((await ids('runner beans')).sort()).toEqual([inOrder, shuffled].sort())
      expect(await ids('peas')).toEqual([])
    })

    test('pages follow the cursor until the end', async () => {
      const pageIds = Array.from({ length: 5 }, () => randomUUID())
      await apply(
        ...pageIds.map((id, i) =>
          created(id, `zucchini glut number ${i}`, 1, `2026-03-0${i + 1}T00:00:00Z`),
        ),
      )
      const seen: string[] = []
      let cursor: string | null = ''
      for (let n = 0; cursor !== null && n < 10; n++) {
        const { body } = await search(`q=zucchini&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        seen.push(...body.items.map((i) => i.postId))
        cursor = body.nextCursor
      }
      // Equal rank: newest first.
      expect(seen).toEqual([...pageIds].reverse())
    })

    test('bad input is a 4xx problem, never a 5xx', async () => {
      for (const [query, status] of [
        ['', 400],
        ['q=', 400],
        [`q=${'x'.repeat(201)}`, 400],
        ['q=fox&limit=0', 400],
        ['q=fox&limit=51', 400],
        ['q=fox&cursor=not-ours', 400],
        [`q=fox&cursor=${Buffer.from(`o:${MAX_RESULTS}`).toString('base64url')}`, 400],
      ] as const) {
        const res = await search(query)
        expect({ query, status: res.status }).toEqual({ query, status })
      }
      // Query syntax a user can type never errors: operators only, stop words only, quotes left open.
      for (const q of ['-', 'the', '"unclosed', 'or or', ':*', '!(&|', '\u0001fox\u0002']) {
        const res = await search(`q=${encodeURIComponent(q)}`)
        expect({ q, status: res.status }).toEqual({ q, status: 200 })
      }
    })

    test('a rebuild empties the index and names a new consumer group', async () => {
      const logger = silentLogger()
      const first = await indexGroup(db.sql, { rebuild: false, logger })
      expect(await indexGroup(db.sql, { rebuild: false, logger })).toBe(first)
      await Bun.sleep(2)
      const second = await indexGroup(db.sql, { rebuild: true, logger })
      expect(second).not.toBe(first)
      expect(second).toMatch(/^search-\d+$/)
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from search_posts`
      expect(row?.n).toBe(0)
    })
  })
}

test('snippet parts: marks split into matched and plain text', () => {
  expect(snippetParts('a \u0001fox\u0002 and \u0001dogs\u0002')).toEqual([
    { text: 'a ', match: false },
    { text: 'fox', match: true },
    { text: ' and ', match: false },
    { text: 'dogs', match: true },
  ])
  expect(snippetParts('plain')).toEqual([{ text: 'plain', match: false }])
})
