/**
 * The restore drill against a real `harness up` stack: its stores backed up,
 * destroyed and restored, with every user, follow and post back and the feed's
 * read model (in a Redis of its own, flushed) rebuilt. With DATABASE_URL (CI's
 * Debian PostgreSQL) the Postgres stores go through pg_dump and pg_restore, in a
 * database made for this test; otherwise the PGlite stand-ins' data directories
 * are copied. The MongoDB stand-in's directory is copied either way.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { NO_REDIS_REASON, startTestRedis, type TestRedis } from '@civildiy/devstack'
import postgres from 'postgres'
import { type RunningHarness, startHarnessUp } from '../testing/harness-up.ts'
import { readManifest } from './backup.ts'

const cli = join(import.meta.dir, '..', 'cli.ts')
const realPg = process.env.DATABASE_URL
const database = `restore_drill_${Date.now().toString(36)}`
let redis: TestRedis | null = null
let harness: RunningHarness | undefined

/** A database of its own on the real server (the drill drops its schema). */
async function withDatabase(action: 'create' | 'drop'): Promise<string> {
  const admin = postgres(realPg!, { max: 1, onnotice: () => {} })
  try {
    if (action === 'create') await admin.unsafe(`create database ${database}`)
    else await admin.unsafe(`drop database if exists ${database} with (force)`)
  } finally {
    await admin.end()
  }
  const url = new URL(realPg!)
  url.pathname = `/${database}`
  return url.toString()
}

beforeAll(async () => {
  redis = await startTestRedis({ ownServer: true })
  if (!redis) return console.warn(`SKIPPED restore drill: ${NO_REDIS_REASON}`)
  if (!realPg)
    console.warn(
      'restore drill: no DATABASE_URL, so the PGlite stand-ins are copied rather than pg_dump (CI sets it)',
    )
  harness = await startHarnessUp({
    REDIS_URL: redis.url,
    ...(realPg ? { DATABASE_URL: await withDatabase('create') } : {}),
  })
}, 120_000)

afterAll(async () => {
  await harness?.stop()
  await redis?.stop()
  if (realPg) await withDatabase('drop').catch(() => {})
})

test('back up, destroy every store, restore: every user, follow and post is back', async () => {
  if (!harness) return
  const out = join(harness.dataDir, 'drill-backup')
  const proc = Bun.spawn(
    [process.execPath, cli, 'restore-drill', '--stack', harness.stackFile, '--out', out],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  // On failure, the drill's own lines say which phase did not finish.
  expect({ code, stderr, stdout: code === 0 ? '' : stdout }).toEqual({
    code: 0,
    stderr: '',
    stdout: '',
  })
  expect(stdout).toContain('(emptied: true)')
  expect(stdout).toContain('every user, follow and post back')
  expect(stdout).toMatch(/every service ready again after \d+ ms/)
  expect(stdout).toContain('restore drill: pass')
  const manifest = await readManifest(out)
  expect(manifest.fingerprint.users.count).toBeGreaterThanOrEqual(2)
  expect(manifest.fingerprint.follows.count).toBeGreaterThanOrEqual(1)
  expect(manifest.fingerprint.posts.count).toBeGreaterThanOrEqual(1)
  expect(
    Object.fromEntries(Object.entries(manifest.stores).map(([k, v]) => [k, v.sameAs ?? v.method])),
  ).toEqual({
    auth: realPg ? 'pg_dump' : 'data-dir',
    profile: realPg ? 'auth' : 'data-dir',
    notifications: realPg ? 'auth' : 'data-dir',
    posts: 'data-dir',
    feed: 'rebuilt',
  })
}, 240_000)

test('restore refuses a directory that is not a backup, and names it', async () => {
  if (!harness) return
  const proc = Bun.spawn(
    [process.execPath, cli, 'restore', '--stack', harness.stackFile, '--from', harness.dataDir],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  expect(await proc.exited).toBe(1)
  expect(await new Response(proc.stderr).text()).toContain(
    `${harness.dataDir} has no manifest.json: not a backup`,
  )
})
