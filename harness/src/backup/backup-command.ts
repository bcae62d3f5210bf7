/**
 * `harness backup [--out DIR]`, `harness restore --from DIR` and
 * `harness restore-drill [--out DIR]` against the stack `npm start` runs (its
 * `.data/stack.json` names the stores; its control socket stops and starts the
 * stand-ins around a copy of their data).
 */
import { join } from 'node:path'
import { stackClient } from '../client/stack-client.ts'
import { parseCommandFlags } from '../command-args.ts'
import { markdownTable } from '../report/stats.ts'
import { defaultStackFile, readStackFile, type StackInfo } from '../stack-file.ts'
import { type ControlClient, controlClient } from '../up/control.ts'
import { type Manifest, restoreBackup, takeBackup } from './backup.ts'
import { differences, fingerprint } from './fingerprint.ts'
import { untilReady } from './readiness.ts'
import { restoreDrill } from './restore-drill.ts'
import { BackupError } from './store-backup.ts'

const root = join(import.meta.dir, '..', '..', '..')
const STACK = '  --stack FILE  the running stack (default .data/stack.json)'
const USAGE = {
  backup: `Usage: harness backup [--out DIR]

Backs up the running stack's stores: the stand-ins' data directories (each stopped
for the copy), pg_dump of a real PostgreSQL. The feed's Redis is rebuilt from the
topics, not backed up. Writes DIR/manifest.json with the users, follows and posts.

  --out DIR     where (default .data/backups/<time>)
${STACK}`,
  restore: `Usage: harness restore --from DIR

Puts a backup back in place of the running stack's data, then checks that the
users, follows and posts match the backup's manifest (exit 1 when they do not).

  --from DIR    the backup (harness backup's --out)
${STACK}`,
  'restore-drill': `Usage: harness restore-drill [--out DIR]

Seeds a post, backs the stack up, destroys every store, restores, and checks that
every user, follow and post is back and the feed shows the post again (exit 1 if not).

  --out DIR     where the backup goes (default .data/backups/drill-<time>)
${STACK}`,
} as const

type Command = keyof typeof USAGE

/** Runs one of the three commands; resolves with the exit code. */
export async function backupCommand(command: Command, argv: string[]): Promise<number> {
  const flags = parseCommandFlags(
    command,
    argv,
    { out: { type: 'string' }, from: { type: 'string' }, stack: { type: 'string' } },
    USAGE[command],
  )
  if (typeof flags === 'number') return flags
  const stack = await readStackFile((flags.stack as string | undefined) ?? defaultStackFile)
  if (!stack?.stores || !stack.control) {
    console.error(
      `harness ${command}: no running stack with its stores in ${flags.stack ?? '.data/stack.json'} (start it with npm start)`,
    )
    return 2
  }
  const control = controlClient(stack.control)
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\..*/, '')
  try {
    if (command === 'backup') {
      const dir = (flags.out as string | undefined) ?? join(root, '.data', 'backups', stamp)
      const manifest = await takeBackup(stack.stores, dir, control)
      console.log(renderManifest(manifest))
      console.log(`backup in ${dir}`)
      return 0
    }
    if (command === 'restore')
      return await restore(stack, flags.from as string | undefined, control)
    return await drill(
      stack,
      control,
      (flags.out as string | undefined) ?? join(root, '.data', 'backups', `drill-${stamp}`),
    )
  } catch (err) {
    if (!(err instanceof BackupError)) throw err
    console.error(`harness ${command}: ${err.message}`)
    return 1
  }
}

async function restore(stack: StackInfo, from: string | undefined, control: ControlClient) {
  if (!from) {
    console.error(`harness restore: --from DIR is required\n\n${USAGE.restore}`)
    return 2
  }
  const { manifest, ms } = await restoreBackup(stack.stores!, from, control)
  const missing = differences(manifest.fingerprint, await fingerprint(stack.stores!))
  console.log(
    markdownTable(
      ['store', 'method', 'restore ms'],
      Object.entries(manifest.stores).map(([name, s]) => [
        name,
        s.sameAs ? `with ${s.sameAs}` : s.method,
        ms[name]?.toFixed(0) ?? '-',
      ]),
    ),
  )
  if (missing.length) console.error(`harness restore: not as backed up: ${missing.join('; ')}`)
  else console.log('every user, follow and post of the backup is back')
  const ready = await untilReady(stack.services, 60_000, consulOf(stack))
  if (ready.ms === null)
    console.error(`harness restore: not ready again within 60 s: ${ready.notReady.join(', ')}`)
  else console.log(`every service ready again after ${ready.ms.toFixed(0)} ms`)
  return missing.length || ready.ms === null ? 1 : 0
}

async function drill(stack: StackInfo, control: ControlClient, dir: string) {
  const r = await restoreDrill({
    api: stackClient(stack.gateway),
    stores: stack.stores!,
    control,
    services: stack.services,
    consul: consulOf(stack),
    dir,
    log: (line) => console.log(`restore-drill | ${line}`),
  })
  console.log(renderManifest(r.manifest))
  console.log(
    markdownTable(
      ['phase', 'ms'],
      Object.entries(r.phases).map(([phase, ms]) => [phase, ms.toFixed(0)]),
    ),
  )
  const pass = r.destroyed && r.missing.length === 0 && r.notReady.length === 0 && r.feedBack
  console.log(pass ? 'restore drill: pass' : 'restore drill: FAIL')
  return pass ? 0 : 1
}

function renderManifest(m: Manifest): string {
  const f = m.fingerprint
  return `${markdownTable(
    ['store', 'method', 'bytes', 'ms'],
    Object.entries(m.stores).map(([name, s]) => [
      name,
      s.sameAs ? `with ${s.sameAs}` : s.method,
      String(s.bytes),
      s.ms.toFixed(0),
    ]),
  )}\n${f.users.count} users, ${f.follows.count} follows, ${f.posts.count} posts`
}

/** The stack's Consul, with the operator's ACL token when one is set. */
function consulOf(stack: StackInfo): { url: string; token?: string } {
  return { url: stack.consul, token: process.env.CONSUL_HTTP_TOKEN }
}
