/**
 * The feed service: the CQRS read side. `--rebuild` drops the read model and
 * replays the topics from the beginning under a new consumer group (see
 * read-model/read-model.ts, which also repairs a model lost while running).
 */
import { defineService, tracingEnabled } from '@civildiy/kit'
import { createApp } from './app.ts'
import { FeedConfig, FeedProductionNeeds } from './config.ts'
import { openBodyCache } from './feed/body-cache.ts'
import { createFeedEraser } from './feed/erasure.ts'
import { feedKeys } from './feed/keys.ts'
import { createProjector, defaultFeedSettings } from './feed/projector.ts'
import { openReadModel } from './read-model/read-model.ts'
import { openFeedStore } from './store/open-store.ts'
import { tracedStore } from './store/traced-store.ts'

await defineService({
  name: 'feed',
  config: FeedConfig,
  configOptions: FeedProductionNeeds,
  async build(ctx) {
    const c = ctx.config
    const opened = await openFeedStore(c, ctx.logger)
    const kind = opened.kind
    const store = tracingEnabled() ? tracedStore(opened.store, kind) : opened.store
    ctx.use({ name: 'feed store', close: () => store.close() })
    const keys = feedKeys(c.FEED_KEY_PREFIX)
    const settings = {
      ...defaultFeedSettings,
      fanOutThreshold: c.FANOUT_THRESHOLD,
      homeCap: c.HOME_FEED_CAP,
    }
    const readModel = await openReadModel({
      store,
      kind,
      keys,
      projector: createProjector(store, keys, settings, ctx.logger, ctx.metrics),
      logger: ctx.logger,
      metrics: ctx.metrics,
      brokers: ctx.brokers,
      security: ctx.kafkaSecurity,
      concurrency: c.CONSUMER_CONCURRENCY,
      rebuild: process.argv.includes('--rebuild'),
      startAfter: ctx.listening,
    })
    for (const r of readModel.resources) ctx.use(r)
    ctx.check(readModel.checks)
    const live = { maxStreamsPerUser: c.LIVE_STREAMS_PER_USER }
    const bodies = openBodyCache(store, keys, c.FEED_BODY_CACHE_ENTRIES, ctx.metrics)
    const erasure = {
      verify: ctx.erasureVerifier(),
      erase: createFeedEraser(store, keys, settings),
    }
    return createApp({ ...ctx.app, store, keys, verify: ctx.verifier(), live, bodies, erasure })
  },
})
