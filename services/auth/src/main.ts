/** Boots the auth service. */
import {
  connectPostgres,
  createLogger,
  createService,
  loadConfigOrExit,
  migrate,
  startEventing,
} from '@civildiy/kit'
import { createApp } from './app.ts'
import { AuthConfig, AuthProductionNeeds } from './config.ts'
import { createMemoryThrottle } from './login-throttle/memory-throttle.ts'
import { createRedisThrottle } from './login-throttle/redis-throttle.ts'
import { migrations } from './migrations.ts'
import { loadSigningKey, SigningKeyError } from './tokens/signing-key.ts'
import { createPasswordHasher } from './users/password-hasher.ts'

const config = loadConfigOrExit(AuthConfig, AuthProductionNeeds)
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
const events = startEventing({
  service: 'auth',
  brokers: config.KAFKA_BROKERS?.split(','),
  sql: db.sql,
  logger,
})
const throttlePolicy = {
  maxFailures: config.LOGIN_MAX_FAILURES,
  windowMs: config.LOGIN_FAILURE_WINDOW_SEC * 1000,
}
const throttle = config.REDIS_URL
  ? createRedisThrottle(config.REDIS_URL, throttlePolicy)
  : createMemoryThrottle(throttlePolicy)
const lifecycle = { shuttingDown: false }
const app = createApp({
  hasher: createPasswordHasher({
    concurrency: config.PASSWORD_HASH_CONCURRENCY,
    queue: config.PASSWORD_HASH_QUEUE,
  }),
  throttle,
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
  committed: events.relay.kick,
  lifecycle,
  checks: () => [
    { name: 'postgres', check: async () => void (await db.sql`select 1`) },
    events.check,
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
    { name: 'login throttle', close: () => throttle.close() },
    ...events.resources,
  ],
})
