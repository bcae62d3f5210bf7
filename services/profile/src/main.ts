/** Boots the profile service. */
import {
  connectPostgres,
  consulClient,
  createEventPublisher,
  createJwtVerifier,
  createLogger,
  createService,
  discoverService,
  type EventConsumer,
  type EventPublisher,
  kafkaClient,
  loadConfigOrExit,
  migrate,
  startEventConsumer,
  startOutboxRelay,
  Topics,
  UserRegistered,
} from '@civildiy/kit'
import { createApp } from './app.ts'
import { ProfileConfig } from './config.ts'
import { migrations } from './migrations.ts'

const config = loadConfigOrExit(ProfileConfig)
const logger = createLogger({ service: 'profile', level: config.LOG_LEVEL })
if (!config.AUTH_JWKS_URL && !config.CONSUL_HTTP_ADDR) {
  logger.fatal('set AUTH_JWKS_URL, or CONSUL_HTTP_ADDR so the auth service can be found')
  process.exit(78)
}
const db = await connectPostgres({ url: config.DATABASE_URL, logger })
await migrate(db.sql, 'profile', migrations, logger)

const consul = config.CONSUL_HTTP_ADDR ? consulClient(config.CONSUL_HTTP_ADDR) : null
const verify = createJwtVerifier({
  jwks:
    config.AUTH_JWKS_URL ??
    (async () =>
      `${await discoverService(consul!, config.AUTH_SERVICE_NAME)}/.well-known/jwks.json`),
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
})

let publisher: EventPublisher | null = null
let consumer: EventConsumer | null = null
const brokers = config.KAFKA_BROKERS?.split(',')
if (!brokers)
  logger.warn(
    'KAFKA_BROKERS is not set: no profiles are created from user.registered and follow events stay in the outbox',
  )
const relay = startOutboxRelay({ sql: db.sql, publisher: () => publisher, logger })
const lifecycle = { shuttingDown: false }
const { app, profiles } = createApp({
  sql: db.sql,
  verify,
  logger,
  production: config.NODE_ENV === 'production',
  committed: relay.kick,
  lifecycle,
  checks: () => [
    { name: 'postgres', check: async () => void (await db.sql`select 1`) },
    {
      name: 'kafka',
      check: async () => ({
        producer: publisher?.connected() ?? false,
        consumerJoined: consumer?.joined() ?? false,
        outboxPending: await relay.pending(),
      }),
    },
  ],
})

// Kafka connects in the background: the API serves (and follows fill the outbox) meanwhile.
const connectKafka = async () => {
  while (brokers && (!publisher || !consumer)) {
    try {
      publisher ??= await createEventPublisher(kafkaClient(brokers, 'profile', logger))
      consumer ??= await startEventConsumer({
        kafka: kafkaClient(brokers, 'profile-consumer', logger),
        groupId: 'profile',
        topics: [Topics.users],
        handlers: { [UserRegistered.type]: (event) => profiles.onUserRegistered(event) },
        logger,
      })
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'kafka unavailable; retrying in 2 s')
      await Bun.sleep(2_000)
    }
  }
}
void connectKafka()

await createService({
  name: 'profile',
  app,
  config,
  logger,
  lifecycle,
  resources: [
    { name: 'postgres', close: () => db.close() },
    { name: 'kafka producer', close: async () => publisher?.close() },
    { name: 'outbox relay', close: () => relay.stop() },
    { name: 'kafka consumer', close: async () => consumer?.close() },
  ],
})
