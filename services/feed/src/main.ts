/**
 * Boots the feed service. `--rebuild` drops the read model and replays the topics
 * from the beginning under a new consumer group, so the read model can always be
 * reconstructed from the events (the in-process store does this on every start).
 */
import {
  accessTokenVerifier,
  createLogger,
  createService,
  loadConfigOrExit,
  startEventing,
  Topics,
} from '@civildiy/kit'
import { createApp } from './app.ts'
import { FeedConfig, FeedProductionNeeds } from './config.ts'
import { feedKeys, READ_MODEL_FORMAT } from './feed/keys.ts'
import { createProjector, defaultFeedSettings } from './feed/projector.ts'
import { openFeedStore } from './store/open-store.ts'

const config = loadConfigOrExit(FeedConfig, FeedProductionNeeds)
const logger = createLogger({ service: 'feed', level: config.LOG_LEVEL })
const keys = feedKeys(config.FEED_KEY_PREFIX)
const { store, kind } = openFeedStore(config, logger)

// The read model remembers which consumer group built it, and in which format; a
// new group replays every event.
const [storedGroup, format] = await Promise.all([
  store.getMeta(keys.consumerGroup),
  store.getMeta(keys.format),
])
const rebuildReason = process.argv.includes('--rebuild')
  ? 'requested (--rebuild)'
  : !storedGroup
    ? 'no read model yet'
    : format !== READ_MODEL_FORMAT
      ? `stored in format ${format ?? '1'}, this version uses ${READ_MODEL_FORMAT}`
      : null
const groupId = storedGroup && !rebuildReason ? storedGroup : `feed-${Date.now()}`
if (groupId !== storedGroup) {
  await store.clear(keys.prefix)
  await store.setMeta(keys.consumerGroup, groupId)
  await store.setMeta(keys.format, READ_MODEL_FORMAT)
  logger.info(
    { groupId, store: kind, reason: rebuildReason },
    'building the read model from the beginning of the topics',
  )
}

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
const events = startEventing({
  service: 'feed',
  brokers: config.KAFKA_BROKERS?.split(','),
  logger,
  consumer: {
    groupId,
    topics: [Topics.posts, Topics.follows],
    deadLetterTopic: 'civildiy.feed.dlq',
    concurrency: config.CONSUMER_CONCURRENCY,
    orderingKey: projector.orderingKey,
    handlers: Object.fromEntries(
      projector.types.map((type) => [type, async (event) => void (await projector.apply(event))]),
    ),
  },
})
// Lag per partition and the last event time, in the logs as well as in /health/ready.
const statusLog = setInterval(async () => {
  const details = await events.check.check().catch((err: Error) => ({ error: err.message }))
  logger.info({ consumer: details }, 'consumer status')
}, 30_000)
statusLog.unref()
const lifecycle = { shuttingDown: false }
const app = createApp({
  store,
  keys,
  verify,
  logger,
  live: { maxStreamsPerUser: config.LIVE_STREAMS_PER_USER },
  production: config.NODE_ENV === 'production',
  lifecycle,
  checks: () => [
    {
      name: `read model (${kind})`,
      check: async () => void (await store.getMeta(keys.consumerGroup)),
    },
    events.check,
  ],
})
await createService({
  name: 'feed',
  app,
  config,
  logger,
  lifecycle,
  resources: [{ name: 'feed store', close: () => store.close() }, ...events.resources],
})
