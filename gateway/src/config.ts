/** The gateway's environment, on top of the kit's base. */
import { AccessTokenConfig, BaseConfig, type LoadConfigOptions, Port } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const GatewayConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(8080),
    GATEWAY_ROUTES_FILE: t.Optional(
      t.String({
        minLength: 1,
        description:
          'a routes module (.ts/.js default export) or .json file (unset: the default routes)',
      }),
    ),
    LOAD_BALANCING: t.Union([t.Literal('round-robin'), t.Literal('least-outstanding')], {
      default: 'round-robin',
      description: 'round-robin or least-outstanding',
    }),
    CORS_ORIGINS: t.Optional(
      t.String({
        description: 'comma-separated origins allowed by CORS (adds to the routes file)',
      }),
    ),
    GATEWAY_ADMIN_TOKEN: t.Optional(
      t.String({
        minLength: 16,
        description:
          'a bearer token (16+ characters) for /gateway/routes from non-loopback clients',
      }),
    ),
    UPSTASH_REDIS_REST_URL: t.Optional(
      t.String({ pattern: '^https?://', description: 'Upstash REST URL for shared rate limits' }),
    ),
    UPSTASH_REDIS_REST_TOKEN: t.Optional(
      t.String({ minLength: 1, description: 'the Upstash REST token' }),
    ),
    RATE_LIMIT_CREDENTIALS_PER_MIN: t.Integer({
      minimum: 1,
      default: 20,
      description: 'login/register POSTs per client address per minute (default routes)',
    }),
    RATE_LIMIT_WRITES_PER_MIN: t.Integer({
      minimum: 1,
      default: 120,
      description: 'writes per user per minute (default routes)',
    }),
    RATE_LIMIT_SEARCH_PER_MIN: t.Integer({
      minimum: 1,
      default: 60,
      description: 'search queries per client address per minute (default routes)',
    }),
    MAX_BODY_BYTES: t.Integer({
      minimum: 0,
      default: 64 * 1024 * 1024,
      description: 'the largest body any route may accept, bytes (routes set their own below it)',
    }),
    DENY_LIST_POLL_MS: t.Integer({
      minimum: 0,
      default: 1_000,
      description:
        "how often the auth service's list of suspended users is fetched, ms: their tokens are refused within this (0: off)",
    }),
    ...AccessTokenConfig,
  }),
])
export type GatewayConfig = Static<typeof GatewayConfig>

/** What NODE_ENV=production requires on top of the schema (no embedded stand-ins, keys from configuration). */
export const GatewayProductionNeeds: LoadConfigOptions = {
  requiredInProduction: ['AUTH_JWKS_URL'],
}
