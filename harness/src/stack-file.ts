/**
 * `.data/stack.json`: where the running stack is. `harness up` writes it once every
 * service is passing and removes it on exit; `harness check`, `replay` and `doctor`
 * read it when no URLs are given.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Static, Type as t } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

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
