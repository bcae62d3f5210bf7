/** Boots the auth service. */
import {
  connectPostgres,
  createEventPublisher,
  createLogger,
  createService,
  type EventPublisher,
  kafkaClient,
  loadConfigOrExit,
  migrate,
  startOutboxRelay,
} from '@civildiy/kit'
import { createApp } from './app.ts'
import { AuthConfig } from './config.ts'
import { migrations } from './migrations.ts'
import { loadSigningKey, SigningKeyError } from './tokens/signing-key.ts'

const config = loadConfigOrExit(AuthConfig)
const logger = createLogger({ service: 'auth', level: config.LOG_LEVEL })
const production = config.NODE_ENV === 'production'
const key = await loadSigningKey({
  pem: config.JWT_PRIVATE_KEY,
  file: config.JWT_PRIVATE_KEY_FILE,
  dataDir: config.DATA_DIR,
  production,
  logger,
}).catch((err) => {
  if (!(err instanceof SigningKeyError)) throw err
  logger.fatal(err.message)
  process.exit(78)
})
const db = await connectPostgres({ url: config.DATABASE_URL, logger })
await migrate(db.sql, 'auth', migrations, logger)

let publisher: EventPublisher | null = null
const kafka = config.KAFKA_BROKERS
  ? kafkaClient(config.KAFKA_BROKERS.split(','), 'auth', logger)
  : null
if (!kafka)
  logger.warn('KAFKA_BROKERS is not set: events stay in the outbox until a broker is configured')
// Connect in the background: the service serves requests (and fills the outbox) while Kafka is down.
const connectPublisher = async () => {
  while (kafka && !publisher) {
    publisher = await createEventPublisher(kafka).catch((err) => {
      logger.warn({ err: (err as Error).message }, 'kafka unavailable; retrying in 2 s')
      return null
    })
    if (!publisher) await Bun.sleep(2_000)
  }
}
void connectPublisher()
const relay = startOutboxRelay({ sql: db.sql, publisher: () => publisher, logger })
const lifecycle = { shuttingDown: false }
const app = createApp({
  sql: db.sql,
  key,
  tokens: {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSec: config.ACCESS_TOKEN_TTL_SEC,
    refreshTtlSec: config.REFRESH_TOKEN_TTL_SEC,
  },
  logger,
  production,
  committed: relay.kick,
  lifecycle,
  checks: () => [
    { name: 'postgres', check: async () => void (await db.sql`select 1`) },
    {
      name: 'outbox',
      check: async () => ({
        pending: await relay.pending(),
        kafka: publisher?.connected() ?? false,
      }),
    },
  ],
})
await createService({
  name: 'auth',
  app,
  config,
  logger,
  lifecycle,
  resources: [
    { name: 'postgres', close: () => db.close() },
    { name: 'kafka producer', close: async () => publisher?.close() },
    { name: 'outbox relay', close: () => relay.stop() },
  ],
})
