/**
 * The feed's read API on its own: home, global and user pages and the live stream,
 * served from a read model the feed service (the projector, next to Kafka) keeps
 * in a shared store. The shape of an edge deployment, where reads are answered
 * near users: on Deno (`deno run`) it reads through Upstash REST
 * (`UPSTASH_REDIS_REST_URL`); on Bun it may use `REDIS_URL` as well. It registers in
 * Consul as `feed`, tagged `read-only`, so the gateway spreads reads over it.
 */
import { ConfigError, defineService, runtimeName, tracingEnabled } from '@civildiy/kit'
import { createApp } from '../app.ts'
import { openBodyCache } from '../feed/body-cache.ts'
import { feedKeys } from '../feed/keys.ts'
import { openFeedStore } from '../store/open-store.ts'
import { tracedStore } from '../store/traced-store.ts'
import { FeedReadConfig } from './config.ts'
import { readModelPresent } from './readiness.ts'

await defineService({
  name: 'feed',
  config: FeedReadConfig,
  configOptions: { requiredInProduction: ['AUTH_JWKS_URL'] },
  tags: ['read-only'],
  async build(ctx) {
    const c = ctx.config
    requireSharedStore(c)
    // Off Bun, REDIS_URL cannot be used (Bun's client): Upstash REST it is.
    const onBun = runtimeName() === 'bun'
    const opened = await openFeedStore(onBun ? c : { ...c, REDIS_URL: undefined }, ctx.logger)
    const store = tracingEnabled() ? tracedStore(opened.store, opened.kind) : opened.store
    const keys = feedKeys(c.FEED_KEY_PREFIX)
    ctx.use(
      { name: 'feed store', close: () => store.close() },
      readModelPresent(store, keys, opened.kind),
    )
    const bodies = openBodyCache(store, keys, c.FEED_BODY_CACHE_ENTRIES, ctx.metrics)
    const live = { maxStreamsPerUser: c.LIVE_STREAMS_PER_USER }
    return createApp({ ...ctx.app, store, keys, verify: ctx.verifier(), live, bodies })
  },
})

/**
 * A read API has nothing to read without the projector's store: an in-process one
 * would stay empty. Bun's Redis client is Bun's own, so Deno needs Upstash REST.
 * @throws ConfigError naming the variable to set.
 */
function requireSharedStore(c: { REDIS_URL?: string; UPSTASH_REDIS_REST_URL?: string }): void {
  const onBun = runtimeName() === 'bun'
  if (c.UPSTASH_REDIS_REST_URL || (onBun && c.REDIS_URL)) return
  throw new ConfigError([
    {
      variable: onBun ? 'REDIS_URL or UPSTASH_REDIS_REST_URL' : 'UPSTASH_REDIS_REST_URL',
      expected: onBun
        ? 'the store the feed service keeps the read model in'
        : 'an Upstash REST URL in front of the read model (REDIS_URL needs Bun)',
      got: undefined,
    },
  ])
}
