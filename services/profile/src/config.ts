/** The profile service's environment, on top of the kit's base. */
import {
  AccessTokenConfig,
  BaseConfig,
  type LoadConfigOptions,
  Port,
  PostgresConfig,
} from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const ProfileConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3002),
    ...PostgresConfig,
    ...AccessTokenConfig,
  }),
])
export type ProfileConfig = Static<typeof ProfileConfig>

/** What NODE_ENV=production requires on top of the schema (no embedded stand-ins, keys from configuration). */
export const ProfileProductionNeeds: LoadConfigOptions = {
  requiredInProduction: ['KAFKA_BROKERS', 'AUTH_JWKS_URL'],
}
