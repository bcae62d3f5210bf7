/**
 * PGlite (Postgres compiled to WASM) served over the Postgres wire protocol by
 * `@electric-sql/pglite-socket`, so the `postgres` client and psql connect to it
 * like to a real server. For development and tests only; PGlite is a single-user
 * database, so connections share one session-less query queue.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

export interface PgliteOptions {
  host?: string
  /** Port; 0 picks a free one. Default 5432. */
  port?: number
  /** Data directory; unset keeps the database in memory. */
  dataDir?: string | null
  /** Concurrent client connections accepted. Default 32. */
  maxConnections?: number
  /**
   * Where the initdb template for in-memory databases is cached. Default: the OS
   * temp directory. Building it takes a few seconds once; booting from it ~0.4 s.
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
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
  const db = options.dataDir
    ? await PGlite.create(options.dataDir)
    : await PGlite.create({ loadDataDir: await initdbTemplate(options.templateDir ?? tmpdir()) })
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

/**
 * A gzipped, freshly initialized PGlite data directory, built once per PGlite
 * version and cached, so in-memory databases skip initdb (seconds) at boot.
 */
async function initdbTemplate(dir: string): Promise<Blob> {
  const file = join(dir, `civildiy-pglite-${pgliteVersion()}-template.tar.gz`)
  if (existsSync(file)) return new Blob([await Bun.file(file).arrayBuffer()])
  const seed = await PGlite.create()
  const dump = await seed.dumpDataDir('gzip')
  await seed.close()
  mkdirSync(dir, { recursive: true })
  // Write-then-rename, so parallel test workers never read a half-written template.
  const tmp = `${file}.${randomUUID()}.tmp`
  writeFileSync(tmp, new Uint8Array(await dump.arrayBuffer()))
  renameSync(tmp, file)
  return dump
}

/** The installed PGlite version (its package.json is not exported, so walk up from the entry point). */
function pgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')))
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version
    }
    dir = dirname(dir)
  }
  return 'unknown'
}
