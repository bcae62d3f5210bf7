/** Boots the posts service. */
import {
  consulClient,
  createJwtVerifier,
  createLogger,
  createService,
  discoverService,
  loadConfigOrExit,
  startEventing,
  Topics,
} from '@civildiy/kit'
import { createApp } from './app.ts'
import { PostsConfig } from './config.ts'
import { connectMongo } from './mongo.ts'
import type { PostDoc } from './posts/model.ts'
import { startPostOutboxRelay } from './posts/outbox-relay.ts'
import { ensurePostIndexes } from './posts/service.ts'

const config = loadConfigOrExit(PostsConfig)
const logger = createLogger({ service: 'posts', level: config.LOG_LEVEL })
if (!config.AUTH_JWKS_URL && !config.CONSUL_HTTP_ADDR) {
  logger.fatal('set AUTH_JWKS_URL, or CONSUL_HTTP_ADDR so the auth service can be found')
  process.exit(78)
}
const mongo = await connectMongo({ url: config.MONGO_URL, dbName: config.MONGO_DB, logger })
const posts = mongo.db.collection<PostDoc>('posts')
await ensurePostIndexes(posts)

const consul = config.CONSUL_HTTP_ADDR ? consulClient(config.CONSUL_HTTP_ADDR) : null
const verify = createJwtVerifier({
  jwks:
    config.AUTH_JWKS_URL ??
    (async () =>
      `${await discoverService(consul!, config.AUTH_SERVICE_NAME)}/.well-known/jwks.json`),
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
})
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
