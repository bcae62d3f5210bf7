/**
 * Auth and profile migrating one fresh PostgreSQL database at the same moment,
 * as `npm start` with one DATABASE_URL does: 50 rounds, 0 failures. (With a lock
 * per service, 27 of 30 rounds failed on `pg_type_typname_nsp_index`.)
 */
import { expect, test } from 'bun:test'
import { connectPostgres, migrate } from '@civildiy/kit'
import { createTestDatabase, NO_POSTGRES_REASON, silentLogger } from '@civildiy/kit/testing'
import { migrations as authMigrations } from '../auth/src/migrations.ts'
import { migrations as profileMigrations } from '../profile/src/migrations.ts'

const ROUNDS = 50
const real = Boolean(process.env.DATABASE_URL)
if (!real) console.warn(`SKIPPED shared-database migration race: ${NO_POSTGRES_REASON}`)

test.skipIf(!real)(
  `auth and profile migrate one fresh database concurrently, ${ROUNDS} times, with 0 failures`,
  async () => {
    const failures: string[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const db = await createTestDatabase('postgresql')
      const [a, b] = await Promise.all([
        connectPostgres({ url: db.url, logger: silentLogger(), max: 2 }),
        connectPostgres({ url: db.url, logger: silentLogger(), max: 2 }),
      ])
      const results = await Promise.allSettled([
        migrate(a.sql, 'auth', authMigrations),
        migrate(b.sql, 'profile', profileMigrations),
      ])
      for (const r of results) if (r.status === 'rejected') failures.push(String(r.reason))
      const [row] = await a.sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`
      const n = row?.n ?? 0
      const expected = new Set([...authMigrations, ...profileMigrations].map((m) => m.id)).size
      if (n !== expected) failures.push(`round ${round}: ${n} of ${expected} migrations recorded`)
      await Promise.all([a.close(), b.close()])
      await db.drop()
    }
    expect(failures).toEqual([])
  },
  120_000,
)
