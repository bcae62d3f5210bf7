/**
 * A whole stack's backup: one entry per store (see store-backup.ts) and a
 * `manifest.json` with what was taken, how, and the users/follows/posts fingerprint
 * at that moment, which `restore` checks against afterwards. Stores that share a
 * URL (auth and profile on one DATABASE_URL) are dumped and restored once.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Static, Type as t } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { StoreLocation } from '../stack-file.ts'
import type { ControlClient } from '../up/control.ts'
import { type Fingerprint, fingerprint } from './fingerprint.ts'
import { BackupError, backupMethod, backupStore, restoreStore } from './store-backup.ts'

const DigestSchema = t.Object({ count: t.Integer(), sha256: t.String() })
export const Manifest = t.Object({
  format: t.Literal(1),
  createdAt: t.String(),
  stores: t.Record(
    t.String(),
    t.Object({
      kind: t.String(),
      method: t.Union([t.Literal('data-dir'), t.Literal('pg_dump'), t.Literal('rebuilt')]),
      /** The backup's file or directory, relative to the backup directory. */
      file: t.Optional(t.String()),
      /** Another store whose backup this one shares (the same database). */
      sameAs: t.Optional(t.String()),
      bytes: t.Integer(),
      ms: t.Number(),
    }),
  ),
  fingerprint: t.Object({ users: DigestSchema, follows: DigestSchema, posts: DigestSchema }),
})
export type Manifest = Static<typeof Manifest>

/**
 * Backs up every store of the stack into `dir` (created) and writes its manifest.
 * @throws BackupError when a store cannot be backed up (a real MongoDB, a failing pg_dump).
 */
export async function takeBackup(
  stores: Record<string, StoreLocation>,
  dir: string,
  control: ControlClient,
): Promise<Manifest> {
  for (const loc of Object.values(stores)) backupMethod(loc)
  mkdirSync(dir, { recursive: true })
  const print = await fingerprint(stores)
  const manifest: Manifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    stores: {},
    fingerprint: print,
  }
  const byUrl = new Map<string, string>()
  for (const [name, loc] of Object.entries(stores)) {
    const method = backupMethod(loc)
    const sameAs = byUrl.get(loc.url)
    if (sameAs) {
      manifest.stores[name] = { kind: loc.kind, method, sameAs, bytes: 0, ms: 0 }
      continue
    }
    byUrl.set(loc.url, name)
    const file = method === 'rebuilt' ? undefined : method === 'pg_dump' ? `${name}.dump` : name
    const t0 = performance.now()
    const bytes = await backupStore(loc, join(dir, file ?? name), control)
    manifest.stores[name] = { kind: loc.kind, method, file, bytes, ms: performance.now() - t0 }
  }
  await Bun.write(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  return manifest
}

/**
 * Reads a backup's manifest.
 * @throws BackupError when it is missing or not a manifest.
 */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = Bun.file(join(dir, 'manifest.json'))
  if (!(await file.exists())) throw new BackupError(`${dir} has no manifest.json: not a backup`)
  const data = await file.json().catch(() => null)
  if (!Value.Check(Manifest, data)) throw new BackupError(`${dir}/manifest.json is not a manifest`)
  return data
}

/**
 * Restores every store of the stack from `dir`; resolves with the time each took, ms.
 * @throws BackupError when the backup lacks one of the stack's stores, or a restore fails.
 */
export async function restoreBackup(
  stores: Record<string, StoreLocation>,
  dir: string,
  control: ControlClient,
): Promise<{ manifest: Manifest; ms: Record<string, number> }> {
  const manifest = await readManifest(dir)
  const missing = Object.keys(stores).filter((s) => !manifest.stores[s])
  if (missing.length)
    throw new BackupError(`the backup in ${dir} has no ${missing.join(', ')} store`)
  for (const [name, loc] of Object.entries(stores)) {
    const entry = manifest.stores[name]!
    if (!entry.sameAs && entry.method !== backupMethod(loc))
      throw new BackupError(
        `${name} was backed up with ${entry.method}, and this stack's ${loc.kind} needs ${backupMethod(loc)}: restore into a stack like the one backed up`,
      )
  }
  const ms: Record<string, number> = {}
  await withOwnersStopped(stores, control, async () => {
    for (const [name, loc] of Object.entries(stores)) {
      const entry = manifest.stores[name]!
      if (entry.sameAs) continue
      const t0 = performance.now()
      await restoreStore(loc, join(dir, entry.file ?? name), control)
      ms[name] = performance.now() - t0
    }
  })
  return { manifest, ms }
}

/**
 * Runs `work` with the services that own the stores of record stopped, and starts
 * them again after, as a restore runbook does: a service never sees its database
 * swapped under its connections (a pool can hold a connection to the old server
 * that never answers), and starts on the restored data. The read model's owner
 * (the feed) keeps running: it rebuilds from the topics.
 */
async function withOwnersStopped(
  stores: Record<string, StoreLocation>,
  control: ControlClient,
  work: () => Promise<void>,
) {
  const running = new Set((await control.status()).map((p) => p.name))
  const owners = Object.entries(stores)
    .filter(([name, loc]) => loc.kind !== 'redis' && running.has(name))
    .map(([name]) => name)
  for (const name of owners) await control.act(name, 'stop')
  try {
    await work()
  } finally {
    for (const name of owners) await control.act(name, 'start')
  }
}

export type { Fingerprint }
