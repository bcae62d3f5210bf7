/**
 * An embedded broker that speaks the Kafka wire protocol well enough for the
 * unchanged kafkajs 2.2 client: produce, consume in consumer groups, commit
 * offsets and administer topics. For development and tests only; deployments
 * use Apache Kafka.
 */
import { mkdirSync } from 'node:fs'
import { type SaslMechanism, SaslUsers, saslMechanisms } from '../sasl/sasl-users.ts'
import type { BrokerState, KafkaAcls } from './apis/context.ts'
import { Connection } from './connection.ts'
import { type CoordinatorOptions, GroupCoordinator } from './groups/group-coordinator.ts'
import { OffsetStore } from './log/offset-store.ts'
import type { RetentionPolicy } from './log/partition-log.ts'
import { TopicStore } from './log/topic-store.ts'

/** A structured log line from the broker. */
export interface BrokerLogEntry {
  level: 'info' | 'warn' | 'error'
  msg: string
  [field: string]: unknown
}

/** Options for {@link startKafkaBroker}. Every field has a default. */
export interface KafkaBrokerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** Port to listen on; 0 picks a free one. Default 9092. */
  port?: number
  /**
   * Host returned to clients in Metadata and FindCoordinator: the address they will
   * connect to for everything after bootstrap. In containers it must be reachable
   * from the clients (a service name, not 127.0.0.1). Default: `host`, or
   * `127.0.0.1` when listening on a wildcard address.
   */
  advertisedHost?: string
  /** Port returned to clients. Default: the port actually bound. */
  advertisedPort?: number
  /** Directory for logs and committed offsets; unset keeps everything in memory. */
  dataDir?: string | null
  /** Partitions of auto-created topics and of CreateTopics with -1. Default 3. */
  defaultPartitions?: number
  /** Create unknown topics on first Metadata request (auto.create.topics.enable). Default true. */
  autoCreateTopics?: boolean
  /** Per-partition retention. Defaults: 1,000,000 records and 256 MiB. */
  retention?: Partial<RetentionPolicy>
  /** Segment file size before rolling, in bytes. Default 16 MiB. */
  segmentBytes?: number
  /** Largest request frame accepted, in bytes; larger ones close the connection. Default 100 MiB. */
  maxFrameBytes?: number
  /** message.max.bytes: largest record batch accepted, in bytes. Default 1,048,588 (Kafka's). */
  maxMessageBytes?: number
  /** Consumer-group timing limits. Defaults: session timeout 1 s .. 30 min, no initial rebalance delay. */
  groups?: Partial<CoordinatorOptions>
  /** Cluster id reported in Metadata. */
  clusterId?: string
  /** Where log lines go. Default: one JSON line per entry on stderr. */
  log?: (entry: BrokerLogEntry) => void
  /**
   * Require SASL authentication (a SASL_PLAINTEXT listener, or SASL_SSL with `tls`):
   * nothing but ApiVersions and the SASL APIs is answered before it. Default: none.
   */
  sasl?: KafkaSaslOptions
  /** Serve TLS with this PEM certificate chain and key. Default: plaintext. */
  tls?: { cert: string; key: string }
}

/** Users, mechanisms and topic ACLs of a broker that requires SASL. */
export interface KafkaSaslOptions {
  /** User name to password; kept only as SCRAM verifiers. */
  users: Record<string, string>
  /** Offered mechanisms. Default: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512. */
  mechanisms?: SaslMechanism[]
  /** Who may write and read which topics; unset: every user may do both on every topic. */
  acls?: KafkaAcls
}

/** A running broker. */
export interface KafkaBroker {
  /** The address it listens on. */
  host: string
  port: number
  /** Bootstrap list for clients, e.g. `['127.0.0.1:9092']`. */
  brokers: string[]
  /** Closes every connection, ends long polls and flushes files. */
  stop(): Promise<void>
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]'])

/**
 * Starts a broker and resolves once it accepts connections.
 *
 * @throws when the port cannot be bound (EADDRINUSE and the like).
 * @example
 * const broker = await startKafkaBroker({ port: 0 })
 * const kafka = new Kafka({ brokers: broker.brokers })
 * // ...
 * await broker.stop()
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const host = options.host ?? '127.0.0.1'
  const dataDir = options.dataDir ?? null
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const log =
    options.log ??
    ((entry) =>
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), component: 'kafka', ...entry })}\n`,
      ))
  const topics = new TopicStore({
    dataDir,
    retention: { maxRecords: 1_000_000, maxBytes: 256 * 1024 * 1024, ...options.retention },
    segmentBytes: options.segmentBytes ?? 16 * 1024 * 1024,
  })
  const groups = new GroupCoordinator(new OffsetStore(dataDir), {
    minSessionTimeoutMs: 1_000,
    maxSessionTimeoutMs: 1_800_000,
    initialRebalanceDelayMs: 0,
    ...options.groups,
  })
  let producerId = Date.now()
  const state: BrokerState = {
    nodeId: 0,
    clusterId: options.clusterId ?? 'civildiy-devstack',
    advertisedHost: '',
    advertisedPort: 0,
    topics,
    groups,
    autoCreateTopics: options.autoCreateTopics ?? true,
    defaultPartitions: options.defaultPartitions ?? 3,
    maxMessageBytes: options.maxMessageBytes ?? 1_048_588,
    auth: options.sasl
      ? {
          users: new SaslUsers(options.sasl.users),
          mechanisms: options.sasl.mechanisms ?? saslMechanisms,
          acls: options.sasl.acls ?? null,
        }
      : null,
    nextProducerId: () => producerId++,
    log: (level, msg, fields) => log({ level, msg, ...fields }),
  }
  const maxFrameBytes = options.maxFrameBytes ?? 100 * 1024 * 1024
  const connections = new Set<Connection>()
  const listener = Bun.listen<Connection>({
    hostname: host,
    port: options.port ?? 9092,
    ...(options.tls ? { tls: options.tls } : {}),
    socket: {
      open(socket) {
        socket.data = new Connection(socket, state, maxFrameBytes)
        connections.add(socket.data)
      },
      data(socket, chunk) {
        socket.data.receive(chunk)
      },
      drain(socket) {
        socket.data.flush()
      },
      close(socket) {
        socket.data.closed()
        connections.delete(socket.data)
      },
      error(socket, error) {
        state.log('warn', 'socket error', { client: socket.data?.remote, error: error.message })
      },
    },
  })
  state.advertisedHost = options.advertisedHost ?? (WILDCARD.has(host) ? '127.0.0.1' : host)
  state.advertisedPort = options.advertisedPort ?? listener.port
  let stopped = false
  return {
    host,
    port: listener.port,
    brokers: [`${state.advertisedHost}:${state.advertisedPort}`],
    async stop() {
      if (stopped) return
      stopped = true
      for (const c of connections) c.close()
      listener.stop(true)
      groups.close()
      topics.close()
    },
  }
}
