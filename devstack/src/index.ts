/**
 * @civildiy/devstack: embedded, protocol-compatible stand-ins for the servers the
 * services use, for development and tests only. Deployments use the real servers.
 */
export { type ConsulOptions, type ConsulServer, startConsul } from './consul/server.ts'
export {
  type ComponentName,
  componentNames,
  type Devstack,
  type DevstackComponent,
  type DevstackOptions,
  standardPorts,
  startDevstack,
} from './devstack.ts'
export {
  type BrokerLogEntry,
  type KafkaBroker,
  type KafkaBrokerOptions,
  startKafkaBroker,
} from './kafka/broker.ts'
export { deleteMarkedKafkaNames } from './kafka/testing/broker-under-test.ts'
export {
  type MongoLogEntry,
  type MongoOptions,
  type MongoServer,
  startMongo,
} from './mongo/server.ts'
export { type PgliteOptions, type PgliteServer, startPglite } from './pg/pglite-server.ts'
export {
  defaultTemplateDir,
  prepareTemplates,
  seedDataDir,
  templatesReady,
} from './pg/pglite-template.ts'
export {
  freePort,
  NO_REDIS_REASON,
  startTestRedis,
  type TestRedis,
} from './testing/redis-server.ts'
export { type ReadyProcess, spawnUntilReady } from './testing/spawn-ready.ts'
export {
  startUpstashBridge,
  type UpstashBridge,
  type UpstashBridgeOptions,
} from './upstash/bridge.ts'
