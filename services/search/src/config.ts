/** The search service's environment, on top of the kit's base. */
import { BaseConfig, type LoadConfigOptions, Port, PostgresConfig } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'

export const SearchConfig = t.Composite([
  BaseConfig,
  t.Object({
    PORT: Port(3006),
    ...PostgresConfig,
    SEARCH_LANGUAGE: t.String({
      pattern: '^[a-z_]+$',
      default: 'english',
      description:
        'a PostgreSQL text search configuration (english, simple, german, ...): stemming and stop words; a change applies to posts indexed after it (rebuild with --rebuild)',
    }),
  }),
])
export type SearchConfig = Static<typeof SearchConfig>

/** What NODE_ENV=production requires on top of the schema. */
export const SearchProductionNeeds: LoadConfigOptions = {
  requiredInProduction: ['KAFKA_BROKERS'],
}
