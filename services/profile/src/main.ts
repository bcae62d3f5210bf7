/** Boots the profile service. */
import {
  accessTokenVerifier,
  connectPostgres,
  createLogger,
  createService,
  loadConfigOrExit,
  migrate,
  startEventing,
  Topics,
  UserRegistered,
} from '@civildiy/kit'
import { createApp } from './app.ts'
import { ProfileConfig, ProfileProductionNeeds } from './config.ts'
import { migrations } from './migrations.ts'

const config = loadConfigOrExit(ProfileConfig, ProfileProductionNeeds)
const logger = createLogger({ service: 'profile', level: config.LOG_LEVEL })
const db = await connectPostgres({ url: config.DATABASE_URL, logger })
await migrate(db.sql, 'profile', migrations, logger)

const verify = accessTokenVerifier(config, logger)

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
