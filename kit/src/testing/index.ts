/** Test helpers for service suites (import from `@civildiy/kit/testing`). */

export { fixKafkajsIdleLoop } from '../events/kafkajs-idle-loop-fix.ts'
export {
  createTestDatabase,
  type DatabaseKind,
  databaseKinds,
  NO_POSTGRES_REASON,
  type TestDatabase,
} from './databases.ts'
export { httpsUpstreamForTest, makeDevCerts, NO_OPENSSL_REASON } from './dev-certs.ts'
export { kafkaForTest, type TestKafka } from './kafka-for-test.ts'
export { type RawRequestOptions, type RawResponse, rawRequest } from './raw-http.ts'
export { type ReadMessage, rawKafka, readTopic } from './raw-kafka.ts'
export { serveForTest } from './serve.ts'
export { silentLogger } from './silent-logger.ts'
export { createTestIssuer, type TestIssuer } from './token-issuer.ts'
