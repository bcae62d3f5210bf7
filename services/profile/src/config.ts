/** The profile service's environment, on top of the kit's base. */
import { BaseConfig, Port } from '@civildiy/kit'
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
export type ProfileConfig = Static<typeof ProfileConfig>
