/**
 * Backing up, restoring and (for the restore drill) destroying one service's store:
 * - an embedded stand-in (PGlite, the MongoDB stand-in): a cold copy of its data
 *   directory, taken with its process stopped through the harness's control socket
 *   (its clients see a few seconds of outage and reconnect);
 * - a real PostgreSQL: `pg_dump --format=custom`, restored with
 *   `pg_restore --clean --if-exists --single-transaction`;
 * - the feed's Redis: nothing. It holds a materialized view of the topics, and a
 *   snapshot restored under newer consumer offsets would miss every event between
 *   the two; the feed rebuilds it from the topics instead (see compose/README.md).
 * A real MongoDB is refused: `mongodump` / `mongorestore` back it up (compose/README.md).
 */
import { cpSync, existsSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { RedisClient } from 'bun'
import postgres from 'postgres'
import type { StoreLocation } from '../stack-file.ts'
import type { ControlClient } from '../up/control.ts'

/** How a store is backed up. */
export type BackupMethod = 'data-dir' | 'pg_dump' | 'rebuilt'

/** A store that cannot be backed up or restored here; the message says what to do instead. */
export class BackupError extends Error {
  override name = 'BackupError'
}

/**
 * The method for a store.
 * @throws BackupError for a real MongoDB (use mongodump).
 */
export function backupMethod(loc: StoreLocation): BackupMethod {
  if (loc.process && loc.dataDir) return 'data-dir'
  if (loc.kind === 'postgres') return 'pg_dump'
  if (loc.kind === 'redis') return 'rebuilt'
  throw new BackupError(
    `${loc.url} is a real MongoDB: back it up with mongodump and mongorestore (compose/README.md, "Backups")`,
  )
}

/** Runs a client tool; resolves with its stdout. @throws BackupError with its stderr. */
async function run(cmd: string[]): Promise<string> {
  if (!Bun.which(cmd[0]!))
    throw new BackupError(`${cmd[0]} is not installed (apt-get install postgresql-client)`)
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new BackupError(`${cmd[0]} failed (exit ${code}): ${err.trim()}`)
  return out
}

/** Stops `name`, runs `work`, and starts it again (even when `work` throws). */
async function whileStopped<T>(control: ControlClient, name: string, work: () => T): Promise<T> {
  await control.act(name, 'stop')
  try {
    return work()
  } finally {
    await control.act(name, 'start')
  }
}

/**
 * Writes the store's backup to `file` (a directory for data-dir, a dump file for
 * pg_dump); returns its size in bytes (0 for `rebuilt`).
 * @throws BackupError when the tool fails or the data directory is missing.
 */
export async function backupStore(
  loc: StoreLocation,
  file: string,
  control: ControlClient,
): Promise<number> {
  const method = backupMethod(loc)
  if (method === 'rebuilt') return 0
  if (method === 'pg_dump') {
    await run(['pg_dump', '--format=custom', '--no-owner', `--file=${file}`, `--dbname=${loc.url}`])
    return statSync(file).size
  }
  if (!existsSync(loc.dataDir!)) throw new BackupError(`${loc.dataDir} does not exist`)
  await whileStopped(control, loc.process!, () => cpSync(loc.dataDir!, file, { recursive: true }))
  return directoryBytes(file)
}

/**
 * Puts the backup in `file` back in place of the store's data.
 * @throws BackupError when the backup is missing or the tool fails.
 */
export async function restoreStore(
  loc: StoreLocation,
  file: string,
  control: ControlClient,
): Promise<void> {
  const method = backupMethod(loc)
  if (method === 'rebuilt') return
  if (!existsSync(file)) throw new BackupError(`the backup ${file} is missing`)
  if (method === 'pg_dump') {
    await run([
      'pg_restore',
      '--clean',
      '--if-exists',
      '--no-owner',
      '--single-transaction',
      `--dbname=${loc.url}`,
      file,
    ])
    return
  }
  await whileStopped(control, loc.process!, () => {
    rmSync(loc.dataDir!, { recursive: true, force: true })
    cpSync(file, loc.dataDir!, { recursive: true })
  })
}

/**
 * Destroys the store's data, as a lost volume would (the restore drill's fault):
 * an emptied data directory, a dropped `public` schema, a flushed Redis.
 */
export async function destroyStore(loc: StoreLocation, control: ControlClient): Promise<void> {
  const method = backupMethod(loc)
  if (method === 'data-dir') {
    await whileStopped(control, loc.process!, () =>
      rmSync(loc.dataDir!, { recursive: true, force: true }),
    )
  } else if (method === 'pg_dump') {
    const sql = postgres(loc.url, { max: 1, onnotice: () => {} })
    try {
      await sql.unsafe('drop schema public cascade; create schema public')
    } finally {
      await sql.end()
    }
  } else {
    const redis = new RedisClient(loc.url)
    try {
      await redis.send('FLUSHDB', [])
    } finally {
      redis.close()
    }
  }
}

function directoryBytes(dir: string): number {
  let total = 0
  for (const entry of new Bun.Glob('**/*').scanSync({ cwd: dir, onlyFiles: true }))
    total += statSync(join(dir, entry)).size
  return total
}
