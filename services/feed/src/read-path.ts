/**
 * The feed's read path as a public entry (`@civildiy/feed/read-path`): the key
 * layout, the page reader, the body cache and the Redis store, for benchmarks that
 * run the reader outside the service to measure its floor.
 */
export { createBodyCache } from './feed/body-cache.ts'
export { feedKeys } from './feed/keys.ts'
export { createFeedReader } from './feed/reader.ts'
export { createRedisStore } from './store/redis-store.ts'
