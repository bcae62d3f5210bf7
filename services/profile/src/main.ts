/** Boots the profile service. */
import {
  connectPostgres,
  consulClient,
  createJwtVerifier,
  createLogger,
  createService,
  discoverService,
  loadConfigOrExit,
  migrate,
  startEventing,
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

const lifecycle = { shuttingDown: false }
// `events` is only used by these callbacks once the service runs, after it is assigned below.
const { app, profiles } = createApp({
  sql: db.sql,
  verify,
  logger,
  production: config.NODE_ENV === 'production',
  committed: () => events.relay.kick(),
  lifecycle,
  checks: () => [
    { name: 'postgres', check: async () => void (await db.sql`select 1`) },
    events.check,
  ],
})
const events = startEventing({
  service: 'profile',
  brokers: config.KAFKA_BROKERS?.split(','),
  sql: db.sql,
  logger,
  consumer: {
    groupId: 'profile',
    topics: [Topics.users],
    handlers: { [UserRegistered.type]: (event) => profiles.onUserRegistered(event) },
  },
})
await createService({
  name: 'profile',
  app,
  config,
  logger,
  lifecycle,
  resources: [{ name: 'postgres', close: () => db.close() }, ...events.resources],
})
