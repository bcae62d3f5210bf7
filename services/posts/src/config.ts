/** The posts service's environment, on top of the kit's base. */
import { AccessTokenConfig, BaseConfig, type LoadConfigOptions, Port } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const PostsConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3003),
    MONGO_URL: t.String({
      pattern: '^mongodb(\\+srv)?://',
      description:
        'a mongodb:// URL (in development `npm start`, or `bun run dev` in the service folder, serves an embedded MongoDB)',
    }),
    MONGO_DB: t.String({ default: 'posts', description: 'the database name' }),
    ...AccessTokenConfig,
  }),
])
export type PostsConfig = Static<typeof PostsConfig>

/** What NODE_ENV=production requires on top of the schema (no embedded stand-ins, keys from configuration). */
export const PostsProductionNeeds: LoadConfigOptions = {
  requiredInProduction: ['KAFKA_BROKERS', 'AUTH_JWKS_URL'],
}
