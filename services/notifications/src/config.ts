/** The notifications service's environment, on top of the kit's base. */
import {
  AccessTokenConfig,
  BaseConfig,
  type LoadConfigOptions,
  Port,
  PostgresConfig,
} from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const NotificationsConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3007),
    ...PostgresConfig,
    ...AccessTokenConfig,
    LIVE_SOCKETS_PER_USER: t.Integer({
      minimum: 1,
      default: 5,
      description: 'open /notifications/live sockets per user; one more is closed with 4429',
    }),
    LIVE_HEARTBEAT_MS: t.Integer({
      minimum: 1_000,
      default: 15_000,
      description: 'how often a live socket gets a heartbeat frame, ms',
    }),
    LIVE_POLL_MS: t.Integer({
      minimum: 50,
      default: 500,
      description:
        'how often the connected users are checked for notifications written by another instance, ms',
    }),
  }),
])
export type NotificationsConfig = Static<typeof NotificationsConfig>

/** What NODE_ENV=production requires on top of the schema. */
export const NotificationsProductionNeeds: LoadConfigOptions = {
  requiredInProduction: ['KAFKA_BROKERS', 'AUTH_JWKS_URL'],
}
