/** The feed service's environment, on top of the kit's base. */
import { AccessTokenConfig, BaseConfig, type LoadConfigOptions, Port } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const FeedConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3004),
    REDIS_URL: t.Optional(
      t.String({ pattern: '^rediss?://', description: 'a redis:// URL for the read model' }),
    ),
    UPSTASH_REDIS_REST_URL: t.Optional(
      t.String({
        pattern: '^https?://',
        description: 'an Upstash REST URL (with UPSTASH_REDIS_REST_TOKEN)',
      }),
    ),
    UPSTASH_REDIS_REST_TOKEN: t.Optional(
      t.String({ minLength: 1, description: 'the Upstash REST token' }),
    ),
    FEED_KEY_PREFIX: t.String({
      default: 'feed:',
      description: 'the prefix of every read-model key',
    }),
    FANOUT_THRESHOLD: t.Integer({
      minimum: 0,
      default: 1_000,
      description: 'followers above which an author is merged at read time instead of fanned out',
    }),
    HOME_FEED_CAP: t.Integer({
      minimum: 10,
      default: 800,
      description: 'posts kept per home feed',
    }),
    CONSUMER_CONCURRENCY: t.Integer({
      minimum: 1,
      maximum: 256,
      default: 16,
      description:
        'events of one fetched batch applied at once (in order per post and per followee)',
    }),
    FEED_BODY_CACHE_ENTRIES: t.Integer({
      minimum: 0,
      default: 50_000,
      description:
        'post bodies each feed instance keeps in process, kept coherent by the change log (0: none)',
    }),
    LIVE_STREAMS_PER_USER: t.Integer({
      minimum: 1,
      default: 5,
      description: 'open /feed/live streams per user; one more is 429 (>= 1)',
    }),
    ...AccessTokenConfig,
  }),
])
export type FeedConfig = Static<typeof FeedConfig>

/** What NODE_ENV=production requires on top of the schema (no embedded stand-ins, keys from configuration). */
export const FeedProductionNeeds: LoadConfigOptions = {
  requiredInProduction: [['REDIS_URL', 'UPSTASH_REDIS_REST_URL'], 'KAFKA_BROKERS', 'AUTH_JWKS_URL'],
}
