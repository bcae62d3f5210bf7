/**
 * Postgres connections (`postgres` client) and schema migrations.
 *
 * The URL always comes from outside: a real PostgreSQL, or in development an
 * embedded PGlite that `harness up` (or `bun run dev`) serves over the wire
 * protocol. A PGlite server is a single session, so its pool is one connection:
 * concurrent transactions on several connections would interleave in that one
 * session.
 */
import type { Sql } from 'postgres'
import type { Logger } from './logger.ts'
import { inSpan, SpanKind, tracingEnabled } from './telemetry/tracing.ts'

export interface Database {
  sql: Sql
  url: string
  /** True when talking to a PGlite server (development). */
  pglite: boolean
  close(): Promise<void>
}

export interface ConnectOptions {
  url: string
  logger: Logger
  /** Pool size for a real PostgreSQL. Default 10. */
  max?: number
}

/**
 * @throws when the server cannot be reached or refuses the credentials.
 * @example const db = await connectPostgres({ url: config.DATABASE_URL, logger })
 */
export async function connectPostgres(o: ConnectOptions): Promise<Database> {
  const url = o.url
  const onnotice = () => {}
  // Loaded here: only the services with a database pay for the driver.
  const { default: postgres } = await import('postgres')
  let sql = postgres(url, { max: o.max ?? 10, onnotice, connect_timeout: 10 })
  const [row] = await sql<{ version: string }[]>`select version()`
  const pglite = /PGlite/.test(row?.version ?? '')
  if (pglite && (o.max ?? 10) > 1) {
    await sql.end()
    sql = postgres(url, { max: 1, onnotice, connect_timeout: 10 })
  }
  if (tracingEnabled()) traceTransactions(sql, pglite)
  return {
    sql,
    url,
    pglite,
    async close() {
      await sql.end({ timeout: 5 })
    },
  }
}

/**
 * A CLIENT span around each transaction (`sql.begin`): where the services write
 * (a registration and its outbox event, a follow). Single queries outside a
 * transaction are not wrapped: postgres.js builds them lazily and nests them as
 * fragments, so a wrapper could run a fragment on its own.
 */
function traceTransactions(sql: Sql, pglite: boolean): void {
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>
  const attributes = {
    'db.system.name': pglite ? 'pglite' : 'postgresql',
    'db.operation.name': 'transaction',
  }
  ;(sql as unknown as { begin: typeof begin }).begin = (...args: unknown[]) =>
    inSpan('postgres transaction', SpanKind.CLIENT, attributes, () => begin(...args))
}

/** One schema change, applied once and recorded by id. */
export interface Migration {
  id: string
  sql: string
}

/**
 * The advisory lock every migration run takes: one per database, whichever
 * service runs it, since services that share a database (one DATABASE_URL for
 * auth and profile) share `schema_migrations` too. A lock per service let two
 * services create that table at once, and one failed on `pg_type`'s unique index.
 */
const MIGRATIONS_LOCK = 'civildiy:schema_migrations'

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order, each
 * in its own transaction, holding the database's one migrations advisory lock so
 * concurrent instances, and other services on the same database, do not race.
 *
 * @param service who is migrating, for the log lines.
 * @throws when a migration fails (it is rolled back; later ones are not applied).
 * @example await migrate(db.sql, 'auth', [...OUTBOX_MIGRATIONS, { id: '0001-users', sql: 'create table users (...)' }])
 */
export async function migrate(
  sql: Sql,
  service: string,
  migrations: Migration[],
  logger?: Logger,
): Promise<string[]> {
  // Most starts find every migration applied: one read on the pool's open
  // connection says so, with no second connection, lock or DDL before readiness.
  if (await allApplied(sql, migrations)) return []
  const conn = await sql.reserve()
  try {
    await conn`select pg_advisory_lock(hashtext(${MIGRATIONS_LOCK}))`
    try {
      await conn`create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())`
      const done = new Set(
        (await conn<{ id: string }[]>`select id from schema_migrations`).map((r) => r.id),
      )
      const applied: string[] = []
      for (const m of migrations) {
        if (done.has(m.id)) continue
        await conn.unsafe('begin')
        try {
          await conn.unsafe(m.sql)
          await conn`insert into schema_migrations (id) values (${m.id})`
          await conn.unsafe('commit')
        } catch (err) {
          await conn.unsafe('rollback')
          throw new Error(`migration ${m.id} failed: ${(err as Error).message}`)
        }
        applied.push(m.id)
        logger?.info({ migration: m.id, service }, 'migration applied')
      }
      return applied
    } finally {
      await conn`select pg_advisory_unlock(hashtext(${MIGRATIONS_LOCK}))`
    }
  } finally {
    conn.release()
  }
}

/**
 * Whether `schema_migrations` already records every one of `migrations`; false
 * when the table does not exist yet (asked with `to_regclass`, so a first start
 * puts no error in the server's log). Read without the lock: a recorded migration
 * is committed, so "all recorded" cannot be undone by a run in progress.
 * @throws what the database throws.
 */
async function allApplied(sql: Sql, migrations: Migration[]): Promise<boolean> {
  const [table] = await sql<{ present: boolean }[]>`
    select to_regclass('schema_migrations') is not null as present`
  if (!table?.present) return false
  const rows = await sql<{ id: string }[]>`select id from schema_migrations`
  const done = new Set(rows.map((r) => r.id))
  return migrations.every((m) => done.has(m.id))
}
