/**
 * Databases for service test suites: PGlite always (in-process, over the wire
 * protocol), and a real PostgreSQL when DATABASE_URL points at one, each suite in a
 * fresh database it drops afterwards. Without DATABASE_URL the real-server run is
 * skipped with a message saying so (`.ci/run` sets it).
 */
import { randomUUID } from 'node:crypto'
import { startPglite } from '@civildiy/devstack'
import postgres from 'postgres'

export type DatabaseKind = 'pglite' | 'postgresql'

export interface TestDatabase {
  kind: DatabaseKind
  url: string
  drop(): Promise<void>
}

/** Why the real-server variant is skipped, when it is. */
export const NO_POSTGRES_REASON = 'DATABASE_URL is not set (bash .ci/start-postgres.sh prints one)'

/** The kinds to run against here: always pglite; postgresql when DATABASE_URL is set. */
export function databaseKinds(): DatabaseKind[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgresql'] : ['pglite']
}

/**
 * @throws when DATABASE_URL is set but the server refuses to create a database.
 * @example
 * for (const kind of databaseKinds()) describe(kind, () => { let db; beforeAll(async () => { db = await createTestDatabase(kind) }) })
 */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const pg = await startPglite({ port: 0 })
    return { kind, url: pg.url, drop: pg.stop }
  }
  const adminUrl = process.env.DATABASE_URL
  if (!adminUrl) throw new Error(NO_POSTGRES_REASON)
  const name = `test_${randomUUID().replace(/-/g, '').slice(0, 16)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    kind,
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}
