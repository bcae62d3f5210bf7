/**
 * `.data/stack.json`: where the running stack is. `harness up` writes it once every
 * service is passing and removes it on exit; `harness check`, `replay` and `doctor`
 * read it when no URLs are given.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Static, Type as t } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * One service's store: its kind and URL, and for an embedded stand-in the process
 * that serves it and its data directory (a cold copy of which is its backup).
 */
export const StoreLocation = t.Object({
  kind: t.Union([t.Literal('postgres'), t.Literal('mongo'), t.Literal('redis')]),
  url: t.String(),
  /** The database, where the URL does not name it (MongoDB). */
  database: t.Optional(t.String()),
  /** The harness process of an embedded stand-in (e.g. `pg-auth`). */
  process: t.Optional(t.String()),
  /** The stand-in's data directory, absolute. */
  dataDir: t.Optional(t.String()),
})
export type StoreLocation = Static<typeof StoreLocation>

export const StackInfo = t.Object({
  startedAt: t.String(),
  pid: t.Integer(),
  gateway: t.String(),
  consul: t.String(),
  /** The control socket of `harness up` (status, stop, start, restart, kill). */
  control: t.Optional(t.String()),
  /** The dashboard's URL (`<harness port>/_dev`). */
  dashboard: t.Optional(t.String()),
  /** The embedded OTLP receiver's base URL (GET /api/traces, /api/traces/<id>). */
  traces: t.Optional(t.String()),
  services: t.Record(t.String(), t.String()),
  /** Connection URLs of the servers (embedded or real). */
  servers: t.Record(t.String(), t.String()),
  /** The auth service's AUTH_ADMIN_BOOTSTRAP_TOKEN (development), for `harness check`'s moderation step. */
  adminBootstrapToken: t.Optional(t.String()),
  /** Where each service keeps its data, for `harness backup` and `restore`. */
  stores: t.Optional(t.Record(t.String(), StoreLocation)),
})
export type StackInfo = Static<typeof StackInfo>

/** The default location, under the project root. */
export const defaultStackFile = join(import.meta.dir, '..', '..', '.data', 'stack.json')

export async function writeStackFile(info: StackInfo, file = defaultStackFile): Promise<void> {
  mkdirSync(dirname(file), { recursive: true })
  await Bun.write(file, `${JSON.stringify(info, null, 2)}\n`)
}

/**
 * The stack described by `file`, or null when there is none.
 * @throws when the file exists but is not a stack description.
 */
export async function readStackFile(file = defaultStackFile): Promise<StackInfo | null> {
  const f = Bun.file(file)
  if (!(await f.exists())) return null
  const data = await f.json()
  if (!Value.Check(StackInfo, data)) throw new Error(`${file} is not a stack description`)
  return data
}

export function removeStackFile(file = defaultStackFile): void {
  rmSync(file, { force: true })
}
