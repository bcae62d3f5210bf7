/** The posts service's environment, on top of the kit's base. */
import { BaseConfig, Port } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const PostsConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3003),
    MONGO_URL: t.Optional(
      t.String({
        pattern: '^mongodb(\\+srv)?://',
        description: 'a mongodb:// URL (unset: in-process devstack MongoDB, development only)',
      }),
    ),
    MONGO_DB: t.String({ default: 'posts', description: 'the database name' }),
    AUTH_JWKS_URL: t.Optional(
      t.String({
        pattern: '^https?://',
        description: "the auth service's JWKS URL (unset: found through Consul)",
      }),
    ),
    AUTH_SERVICE_NAME: t.String({
      default: 'auth',
      description: 'the auth service name in Consul',
    }),
    JWT_ISSUER: t.String({
      default: 'civildiy-auth',
      description: 'the iss claim access tokens must carry',
    }),
    JWT_AUDIENCE: t.String({
      default: 'civildiy',
      description: 'the aud claim access tokens must carry',
    }),
  }),
])
export type PostsConfig = Static<typeof PostsConfig>
