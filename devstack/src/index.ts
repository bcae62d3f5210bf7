/**
 * @civildiy/devstack: embedded, protocol-compatible stand-ins for the servers the
 * services use, for development and tests only.
 */
export {
  type BrokerLogEntry,
  type KafkaBroker,
  type KafkaBrokerOptions,
  startKafkaBroker,
} from './kafka/broker.ts'
