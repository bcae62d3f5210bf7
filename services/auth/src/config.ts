/** The auth service's environment, on top of the kit's base. */
import { BaseConfig, type LoadConfigOptions, Port, PostgresConfig } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const AuthConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3001),
    ...PostgresConfig,
    JWT_ISSUER: t.String({
      default: 'civildiy-auth',
      description: 'the iss claim of issued tokens',
    }),
    JWT_AUDIENCE: t.String({ default: 'civildiy', description: 'the aud claim of issued tokens' }),
    JWT_PRIVATE_KEY: t.Optional(
      t.String({ minLength: 1, description: 'an Ed25519 private key, PKCS#8 PEM' }),
    ),
    JWT_PRIVATE_KEY_FILE: t.Optional(
      t.String({ minLength: 1, description: 'a path to an Ed25519 private key, PKCS#8 PEM' }),
    ),
    DATA_DIR: t.String({
      default: '.data/auth',
      description: 'a directory for the development signing key',
    }),
    ACCESS_TOKEN_TTL_SEC: t.Integer({
      minimum: 30,
      default: 900,
      description: 'access token lifetime in seconds (>= 30)',
    }),
    REDIS_URL: t.Optional(
      t.String({
        pattern: '^rediss?://',
        description: 'a redis:// URL for the per-account login throttle (unset: in process)',
      }),
    ),
    LOGIN_MAX_FAILURES: t.Integer({
      minimum: 1,
      default: 5,
      description: 'failed logins per account per window before 429 (>= 1)',
    }),
    LOGIN_FAILURE_WINDOW_SEC: t.Integer({
      minimum: 1,
      default: 900,
      description: 'the login throttle window in seconds (>= 1)',
    }),
    PASSWORD_HASH_CONCURRENCY: t.Optional(
      t.Integer({
        minimum: 1,
        description: 'argon2id hashes at once (unset: the number of cores)',
      }),
    ),
    PASSWORD_HASH_QUEUE: t.Optional(
      t.Integer({
        minimum: 0,
        description: 'logins waiting for a hash slot before 503 (unset: 2 x concurrency)',
      }),
    ),
    AUTH_ADMIN_BOOTSTRAP_TOKEN: t.Optional(
      t.String({
        minLength: 32,
        description:
          'a secret of 32+ characters with which a signed-in user becomes an admin (POST /auth/admin/bootstrap); unset: disabled',
      }),
    ),
    AUTH_DELETION_GRACE_SEC: t.Integer({
      minimum: 0,
      default: 86_400,
      description:
        'seconds an account deletion waits (cancellable) before erasure starts, unless asked immediately',
    }),
    DELETION_PARTICIPANTS: t.String({
      default: 'profile,posts,notifications,feed',
      pattern: '^[a-z0-9-]+(,[a-z0-9-]+)*$',
      description: 'the services (Consul names) that erase a deleted account, comma-separated',
    }),
    DELETION_SAGA_POLL_MS: t.Integer({
      minimum: 50,
      default: 1_000,
      description: 'how often due account deletions are advanced, ms',
    }),
    REFRESH_TOKEN_TTL_SEC: t.Integer({
      minimum: 60,
      default: 30 * 24 * 3600,
      description: 'refresh token lifetime in seconds (>= 60)',
    }),
  }),
])
export type AuthConfig = Static<typeof AuthConfig>

/** What NODE_ENV=production requires on top of the schema (no embedded stand-ins, keys from configuration). */
export const AuthProductionNeeds: LoadConfigOptions = {
  requiredInProduction: ['KAFKA_BROKERS'],
}
