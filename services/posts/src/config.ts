/** The posts service's environment, on top of the kit's base. */
import { AccessTokenConfig, BaseConfig, Port } from '@civildiy/kit'
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
    ...AccessTokenConfig,
  }),
])
export type PostsConfig = Static<typeof PostsConfig>
