/**
 * The restore drill: seeds a follow and a post, backs up the running stack,
 * destroys every store (data directories emptied, schemas dropped, Redis flushed),
 * restores, and checks that every user, follow and post is back (same keys), that
 * every service is ready again, and that the follower's home feed, rebuilt from the
 * topics, shows the seeded post again.
 */
import type { StackClient } from '../client/stack-client.ts'
import type { StoreLocation } from '../stack-file.ts'
import type { ControlClient } from '../up/control.ts'
import { type Manifest, restoreBackup, takeBackup } from './backup.ts'
import { differences, fingerprint } from './fingerprint.ts'
import { untilReady } from './readiness.ts'
import { destroyStore } from './store-backup.ts'

export interface RestoreDrillResult {
  manifest: Manifest
  /** ms per phase: backup, destroy, restore, until every service is ready, until the seeded post is back in the feed. */
  phases: Record<'backup' | 'destroy' | 'restore' | 'ready' | 'feedBack', number>
  /** Whether the stores were really emptied by the destroy step. */
  destroyed: boolean
  /** What differs after the restore; empty on success. */
  missing: string[]
  feedBack: boolean
  /** Services not ready again within the timeout (empty on success). */
  notReady: string[]
}

const PASSWORD = 'restore drill password 1'

/** Runs the drill; `log` hears one line per phase. */
export async function restoreDrill(o: {
  api: StackClient
  stores: Record<string, StoreLocation>
  control: ControlClient
  /** Service name to base URL: each must answer /health/ready 200 again. */
  services: Record<string, string>
  /** The stack's Consul: each service must also have a passing instance there again (the gateway routes only to those). */
  consul?: { url: string; token?: string }
  dir: string
  log: (line: string) => void
  /** How long the seeded post may take to reappear in the feed, ms. Default 60000. */
  timeoutMs?: number
}): Promise<RestoreDrillResult> {
  const run = Date.now().toString(36)
  const author = await o.api.signUp(`author-${run}@restore.example`, PASSWORD)
  const reader = await o.api.signUp(`reader-${run}@restore.example`, PASSWORD)
  await until(() => o.api.profileExists(author.userId), 20_000)
  await o.api.follow(reader, author.userId)
  const post = await o.api.createPost(author, `restore drill ${run}`)
  const inFeed = async () => (await o.api.home(reader, 50)).some((i) => i.id === post.id)
  await until(inFeed, 20_000)
  const time = async (work: () => Promise<unknown>) => {
    const t0 = performance.now()
    await work()
    return performance.now() - t0
  }
  let manifest!: Manifest
  const backup = await time(async () => {
    manifest = await takeBackup(o.stores, o.dir, o.control)
  })
  o.log(`backed up ${summary(manifest)} in ${backup.toFixed(0)} ms to ${o.dir}`)
  const destroy = await time(async () => {
    for (const loc of Object.values(o.stores)) await destroyStore(loc, o.control)
  })
  const destroyed = await fingerprint(o.stores).then(
    (after) => differences(manifest.fingerprint, after).length === 3,
    () => true,
  )
  o.log(`destroyed every store in ${destroy.toFixed(0)} ms (emptied: ${destroyed})`)
  const restore = await time(() => restoreBackup(o.stores, o.dir, o.control))
  const missing = differences(manifest.fingerprint, await fingerprint(o.stores))
  o.log(
    `restored in ${restore.toFixed(0)} ms; ${missing.length ? missing.join('; ') : 'every user, follow and post back'}`,
  )
  const ready = await untilReady(o.services, o.timeoutMs ?? 60_000, o.consul)
  o.log(
    ready.ms === null
      ? `not ready again: ${ready.notReady.join(', ')}`
      : `every service ready again after ${ready.ms.toFixed(0)} ms`,
  )
  const t0 = performance.now()
  const feedBack = await until(() => inFeed().catch(() => false), o.timeoutMs ?? 60_000)
  const feed = performance.now() - t0
  o.log(
    `the seeded post ${feedBack ? `is back in the home feed after ${feed.toFixed(0)} ms` : 'did not come back to the home feed'}`,
  )
  return {
    manifest,
    phases: { backup, destroy, restore, ready: ready.ms ?? Number.NaN, feedBack: feed },
    destroyed,
    missing,
    feedBack,
    notReady: ready.notReady,
  }
}

function summary(m: Manifest): string {
  const f = m.fingerprint
  return `${f.users.count} users, ${f.follows.count} follows, ${f.posts.count} posts`
}

/** Polls `ok` every 100 ms; resolves whether it became true within `ms`. */
async function until(ok: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await ok().catch(() => false)) return true
    if (Date.now() > deadline) return false
    await Bun.sleep(100)
  }
}
