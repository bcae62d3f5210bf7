/**
 * Readiness of a feed read API: it serves a read model someone else builds, so it
 * is ready only once that model exists in the store, in the format it reads.
 */
import type { HealthCheck } from '@civildiy/kit'
import { type FeedKeys, READ_MODEL_FORMAT } from '../feed/keys.ts'
import type { FeedStore } from '../store/feed-store.ts'

/**
 * A check that reads the model's format marker.
 * @throws (from `check`) while no feed service has built the model, or one built
 *   it in another format (a rebuild is under way, or the versions differ).
 */
export function readModelPresent(store: FeedStore, keys: FeedKeys, kind: string): HealthCheck {
  return {
    name: `read model (${kind}, read only)`,
    check: async () => {
      const format = await store.getMeta(keys.format)
      if (format === null)
        throw new Error('no read model yet: the feed service (the projector) has not built it')
      if (format !== READ_MODEL_FORMAT)
        throw new Error(
          `the read model is in format ${format}; this API reads ${READ_MODEL_FORMAT}`,
        )
      return { format }
    },
  }
}
