/**
 * PGlite (Postgres compiled to WASM) served over the Postgres wire protocol by
 * `@electric-sql/pglite-socket`, so the `postgres` client and psql connect to it
 * like to a real server. For development and tests only; PGlite is a single-user
 * database, so connections share one session-less query queue.
 */
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { seedDataDir, templateTarball } from './pglite-template.ts'

export interface PgliteOptions {
  host?: string
  /** Port; 0 picks a free one. Default 5432. */
  port?: number
  /** Data directory; unset keeps the database in memory. */
  dataDir?: string | null
  /** Concurrent client connections accepted. Default 32. */
  maxConnections?: number
  /**
   * Where the prepared databases are cached (see pglite-template.ts). Default
   * `~/.cache/civildiy`. Preparing takes about 5 s once per PGlite version; a new
   * data directory is then a copy, and an in-memory database a load, not an initdb.
   */
  templateDir?: string
}

/** A running PGlite server. */
export interface PgliteServer {
  /** Connection string, e.g. `postgres://postgres@127.0.0.1:5432/postgres`. */
  url: string
  host: string
  port: number
  stop(): Promise<void>
}

/**
 * Boots PGlite and serves it.
 *
 * @throws when the data directory is unusable or the port cannot be bound.
 * @example
 * const pg = await startPglite({ port: 0 })
 * const sql = postgres(pg.url)
 */
export async function startPglite(options: PgliteOptions = {}): Promise<PgliteServer> {
  const host = options.host ?? '127.0.0.1'
  if (options.dataDir) await seedDataDir(options.dataDir, options.templateDir)
  const db = options.dataDir
    ? await PGlite.create(options.dataDir)
    : await PGlite.create({ loadDataDir: await templateTarball(options.templateDir) })
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 5432,
    maxConnections: options.maxConnections ?? 32,
  })
  try {
    await server.start()
  } catch (err) {
    await db.close()
    throw err
  }
  const conn = server.getServerConn()
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1))
  return {
    url: `postgres://postgres@${host.includes(':') ? `[${host}]` : host}:${port}/postgres`,
    host,
    port,
    async stop() {
      await server.stop()
      await db.close()
    },
  }
}
