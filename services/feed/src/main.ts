/**
 * Boots the feed service. `--rebuild` drops the read model and replays the topics
 * from the beginning under a new consumer group, so the read model can always be
 * reconstructed from the events (the in-process store does this on every start,
 * and a lost Redis model is rebuilt while running: see read-model/read-model.ts).
 */
import { accessTokenVerifier, createLogger, createService, loadConfigOrExit } from '@civildiy/kit'
import { createApp } from './app.ts'
import { FeedConfig, FeedProductionNeeds } from './config.ts'
import { feedKeys } from './feed/keys.ts'
import { createProjector, defaultFeedSettings } from './feed/projector.ts'
import { openReadModel } from './read-model/read-model.ts'
import { openFeedStore } from './store/open-store.ts'

const config = loadConfigOrExit(FeedConfig, FeedProductionNeeds)
const logger = createLogger({ service: 'feed', level: config.LOG_LEVEL })
const keys = feedKeys(config.FEED_KEY_PREFIX)
const { store, kind } = openFeedStore(config, logger)

const verify = accessTokenVerifier(config, logger)
const projector = createProjector(
  store,
  keys,
  {
    ...defaultFeedSettings,
    fanOutThreshold: config.FANOUT_THRESHOLD,
    homeCap: config.HOME_FEED_CAP,
  },
  logger,
)
const readModel = await openReadModel({
  store,
  kind,
  keys,
  projector,
  logger,
  brokers: config.KAFKA_BROKERS?.split(','),
  concurrency: config.CONSUMER_CONCURRENCY,
  rebuild: process.argv.includes('--rebuild'),
})
const lifecycle = { shuttingDown: false }
const app = createApp({
  store,
  keys,
  verify,
  logger,
  live: { maxStreamsPerUser: config.LIVE_STREAMS_PER_USER },
  production: config.NODE_ENV === 'production',
  lifecycle,
  checks: readModel.checks,
})
await createService({
  name: 'feed',
  app,
  config,
  logger,
  lifecycle,
  resources: [{ name: 'feed store', close: () => store.close() }, ...readModel.resources],
})
