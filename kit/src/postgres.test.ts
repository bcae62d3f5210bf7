/** Migrations on PGlite and (with DATABASE_URL) a real PostgreSQL: applied once, in order, and a start with nothing to apply takes no lock. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { connectPostgres, type Database, migrate } from './postgres.ts'
import {
  createTestDatabase,
  databaseKinds,
  NO_POSTGRES_REASON,
  silentLogger,
  type TestDatabase,
} from './testing/index.ts'

if (!process.env.DATABASE_URL)
  console.warn(`SKIPPED migrations on a real PostgreSQL: ${NO_POSTGRES_REASON}`)

const first = [
  { id: 'm1', sql: 'create table things (id int primary key)' },
  { id: 'm2', sql: 'alter table things add column name text' },
]

for (const kind of databaseKinds()) {
  describe(`migrate on ${kind}`, () => {
    let tdb: TestDatabase
    let db: Database
    beforeAll(async () => {
      tdb = await createTestDatabase(kind)
      db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
    })
    afterAll(async () => {
      await db?.close()
      await tdb?.drop()
    })

    test('applies each migration once, in order; a later one alone when it is added', async () => {
      expect(await migrate(db.sql, 'demo', first)).toEqual(['m1', 'm2'])
      expect(await migrate(db.sql, 'demo', first)).toEqual([])
      const third = { id: 'm3', sql: "insert into things values (1, 'one')" }
      expect(await migrate(db.sql, 'demo', [...first, third])).toEqual(['m3'])
      expect(await migrate(db.sql, 'demo', [...first, third])).toEqual([])
      expect([...(await db.sql`select id, name from things`)]).toEqual([{ id: 1, name: 'one' }])
    })

    test('a failed migration is rolled back, recorded as not applied, and named in the error', async () => {
      const bad = { id: 'm9', sql: 'alter table nowhere add column x int' }
      await expect(migrate(db.sql, 'demo', [...first, bad])).rejects.toThrow('migration m9 failed')
      const ids = (await db.sql<{ id: string }[]>`select id from schema_migrations`).map(
        (r) => r.id,
      )
      expect(ids).not.toContain('m9')
    })
  })
}

test.skipIf(!process.env.DATABASE_URL)(
  'with every migration applied, a start does not wait for the migrations lock another session holds',
  async () => {
    const tdb = await createTestDatabase('postgresql')
    const db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
    const holder = postgres(tdb.url, { max: 1, onnotice: () => {} })
    try {
      await migrate(db.sql, 'demo', first)
      const [lock] = await holder<{ held: boolean }[]>`
        select pg_try_advisory_lock(hashtext('civildiy:schema_migrations')) as held`
      expect(lock?.held).toBe(true)
      // Waiting for the lock would hang here until the test's timeout.
      expect(await migrate(db.sql, 'demo', first)).toEqual([])
    } finally {
      await holder.end()
      await db.close()
      await tdb.drop()
    }
  },
)
