/** Builds the feed service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, erasureRoute, type JwtVerifier } from '@civildiy/kit'
import type { FeedKeys } from './feed/keys.ts'
import type { LiveFeedOptions } from './feed/live.ts'
import type { BodySource } from './feed/page.ts'
import { createFeedReader } from './feed/reader.ts'
import { feedRoutes } from './feed/routes.ts'
import type { FeedStore } from './store/feed-store.ts'

export interface FeedDeps extends AppEnvironment {
  store: FeedStore
  keys: FeedKeys
  verify: JwtVerifier
  live?: LiveFeedOptions
  /** Where page reads take post bodies from (the body cache); the store itself by default. */
  bodies?: BodySource
  /** With the auth service's erasure-token verifier, the account-deletion saga's erasure route is served. */
  erasure?: { verify: JwtVerifier; erase: (userId: string) => Promise<Record<string, number>> }
}

export function createApp(d: FeedDeps) {
  const app = baseApp({
    name: 'feed',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
    metrics: d.metrics,
  }).use(
    feedRoutes({
      reader: createFeedReader(d.store, d.keys, d.bodies),
      verify: d.verify,
      logger: d.logger,
      live: d.live,
    }),
  )
  return d.erasure ? app.use(erasureRoute(d.erasure.verify, d.erasure.erase)) : app
}
