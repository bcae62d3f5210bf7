/** Boots the posts service. */
import {
  accessTokenVerifier,
  createLogger,
  createService,
  loadConfigOrExit,
  startEventing,
  Topics,
} from '@civildiy/kit'
import { createApp } from './app.ts'
import { PostsConfig, PostsProductionNeeds } from './config.ts'
import { connectMongo } from './mongo.ts'
import type { PostDoc } from './posts/model.ts'
import { startPostOutboxRelay } from './posts/outbox-relay.ts'
import { ensurePostIndexes } from './posts/service.ts'

const config = loadConfigOrExit(PostsConfig, PostsProductionNeeds)
const logger = createLogger({ service: 'posts', level: config.LOG_LEVEL })
const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB })
const posts = mongo.db.collection<PostDoc>('posts')
await ensurePostIndexes(posts)

const verify = accessTokenVerifier(config, logger)
const events = startEventing({
  service: 'posts',
  brokers: config.KAFKA_BROKERS?.split(','),
  logger,
  relay: (publisher) => startPostOutboxRelay({ posts, topic: Topics.posts, publisher, logger }),
})
const lifecycle = { shuttingDown: false }
const app = createApp({
  posts,
  verify,
  logger,
  production: config.NODE_ENV === 'production',
  committed: events.relay.kick,
  lifecycle,
  checks: () => [
    { name: 'mongodb', check: async () => void (await mongo.db.command({ ping: 1 })) },
    events.check,
  ],
})
await createService({
  name: 'posts',
  app,
  config,
  logger,
  lifecycle,
  resources: [{ name: 'mongodb', close: () => mongo.close() }, ...events.resources],
})
