/** The profile service's environment, on top of the kit's base. */
import { AccessTokenConfig, BaseConfig, Port } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const ProfileConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3002),
    DATABASE_URL: t.Optional(
      t.String({
        pattern: '^postgres(ql)?://',
        description: 'a postgres:// URL (unset: in-process PGlite, development only)',
      }),
    ),
    ...AccessTokenConfig,
  }),
])
export type ProfileConfig = Static<typeof ProfileConfig>
