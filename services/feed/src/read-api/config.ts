/**
 * The feed read API's environment: the feed service's, less what only the
 * projector uses (Kafka consumption, fan-out), on its own default port.
 */
import { Port } from '@civildiy/kit'
import { type Static, Type as t } from '@sinclair/typebox'
import { FeedConfig } from '../config.ts'

export const FeedReadConfig = t.Composite([
  t.Omit(FeedConfig, ['PORT', 'FANOUT_THRESHOLD', 'HOME_FEED_CAP', 'CONSUMER_CONCURRENCY']),
  t.Object({ PORT: Port(3005) }),
])
export type FeedReadConfig = Static<typeof FeedReadConfig>
