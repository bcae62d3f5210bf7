/**
 * The auth service: users in Postgres, tokens, roles and suspensions,
 * `user.registered` and audit events through its outbox, the audit trail
 * (every service's audit topic) consumed into Postgres, and the account-deletion
 * saga it orchestrates over the participants it finds in Consul.
 */
import { defineService } from '@civildiy/kit'
import { createApp } from './app.ts'
import { auditConsumer } from './audit/consumer.ts'
import { createAuditService } from './audit/service.ts'
import { AuthConfig, AuthProductionNeeds } from './config.ts'
import { erasureTokens, httpParticipant } from './deletion/participants.ts'
import { startDeletionSaga } from './deletion/saga.ts'
import { openLoginThrottle } from './login-throttle/open-throttle.ts'
import { migrations } from './migrations.ts'
import { loadSigningKey } from './tokens/signing-key.ts'
import { createPasswordHasher } from './users/password-hasher.ts'

await defineService({
  name: 'auth',
  config: AuthConfig,
  configOptions: AuthProductionNeeds,
  async build(ctx) {
    const c = ctx.config
    const sql = await ctx.postgres(migrations)
    const events = ctx.events({ sql, consumer: auditConsumer(createAuditService(sql)) })
    const throttle = openLoginThrottle(c)
    ctx.use({ name: 'login throttle', close: () => throttle.close() })
    const key = await loadSigningKey({
      pem: c.JWT_PRIVATE_KEY,
      file: c.JWT_PRIVATE_KEY_FILE,
      dataDir: c.DATA_DIR,
      production: ctx.production,
      logger: ctx.logger,
    })
    const names = c.DELETION_PARTICIPANTS.split(',')
    const tokens = erasureTokens(key, c.JWT_ISSUER)
    const saga = startDeletionSaga({
      sql,
      participants: names.map((n) =>
        httpParticipant(n, () => ctx.discover(n), tokens, ctx.upstreamInit),
      ),
      clock: () => new Date(),
      committed: events.relay.kick,
      logger: ctx.logger,
      pollMs: c.DELETION_SAGA_POLL_MS,
    })
    ctx.use({ name: 'account deletion saga', close: () => saga.stop() })
    return createApp({
      ...ctx.app,
      sql,
      key,
      tokens: {
        issuer: c.JWT_ISSUER,
        audience: c.JWT_AUDIENCE,
        accessTtlSec: c.ACCESS_TOKEN_TTL_SEC,
        refreshTtlSec: c.REFRESH_TOKEN_TTL_SEC,
      },
      hasher: createPasswordHasher({
        concurrency: c.PASSWORD_HASH_CONCURRENCY,
        queue: c.PASSWORD_HASH_QUEUE,
      }),
      throttle,
      committed: events.relay.kick,
      adminBootstrapToken: c.AUTH_ADMIN_BOOTSTRAP_TOKEN,
      deletion: { graceSec: c.AUTH_DELETION_GRACE_SEC, participants: names, requested: saga.kick },
    })
  },
})
