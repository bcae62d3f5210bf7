/**
 * @civildiy/devstack: embedded, protocol-compatible stand-ins for the servers the
 * services use, for development and tests only. Deployments use the real servers.
 */
export {
  type ComponentName,
  componentNames,
  type Devstack,
  type DevstackComponent,
  type DevstackOptions,
  startDevstack,
} from './devstack.ts'
export {
  type BrokerLogEntry,
  type KafkaBroker,
  type KafkaBrokerOptions,
  startKafkaBroker,
} from './kafka/broker.ts'
