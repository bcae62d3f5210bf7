/**
 * One call that wires a service's events: the outbox relay, an idempotent
 * publisher and (optionally) a consumer group member, connected to Kafka in the
 * background with retries, so the service serves requests (and fills its outbox)
 * while Kafka is down. Gives back a readiness check and the resources to close.
 *
 * Kafka alone never makes the service unready: the check answers at once (it
 * never waits on a broker that does not answer) and reports `degraded` with the
 * producer's and consumer's state while the broker is unreachable. Broker errors
 * are logged once per change of state (see `broker-log.ts`).
 */
import type { Sql } from 'postgres'
import type { HealthCheck } from '../health.ts'
import type { Logger } from '../logger.ts'
import type { Resource } from '../service.ts'
import type { Metrics } from '../telemetry/metrics.ts'
import { createBrokerLog } from './broker-log.ts'
import {
  createEventPublisher,
  type EventConsumer,
  type EventConsumerOptions,
  type EventPublisher,
  type KafkaConnection,
  startEventConsumer,
} from './kafka.ts'
import type { KafkaSecurity } from './kafka-security.ts'
import { type OutboxRelay, startOutboxRelay } from './outbox.ts'

export interface EventingOptions {
  /** Service name: the Kafka client id. */
  service: string
  /** `KAFKA_BROKERS` split into host:port entries; undefined: no Kafka (events wait in the outbox). */
  brokers: string[] | undefined
  /** SASL and TLS for the Kafka clients (see kafka-security.ts). */
  security?: KafkaSecurity
  /** The Postgres outbox to relay; or give `relay` for another store; neither for a service that only consumes. */
  sql?: Sql
  /** Starts a relay for a non-Postgres outbox (e.g. events kept on MongoDB documents). */
  relay?: (publisher: () => EventPublisher | null) => OutboxRelay
  logger: Logger
  /** A consumer group member to run, if the service consumes events. */
  consumer?: Omit<EventConsumerOptions, keyof KafkaConnection>
  /** Pause between connection attempts, ms. Default 2000. */
  retryMs?: number
  /** How long readiness waits for the consumer's lag from the broker, ms. Default 250. */
  statusTimeoutMs?: number
  /** Where outbox backlog, consumer lag and handled events are counted. */
  metrics?: Metrics
  /** Ms between readings of the consumer's lag for the metrics. Default 5000. */
  lagIntervalMs?: number
  /**
   * Connect only once this resolves. The kit passes "the server is listening", so
   * kafkajs loads and connects after the first request can be answered.
   */
  startAfter?: Promise<unknown>
}

export interface Eventing {
  relay: OutboxRelay
  /** Readiness details: producer connected, consumer joined, outbox backlog; `degraded` while the broker is unreachable. Never fails on Kafka alone. */
  check: HealthCheck
  /** Close in this order: relay, consumer, producer (createService closes in reverse). */
  resources: Resource[]
}

/**
 * @example
 * const events = startEventing({ service: 'auth', brokers: config.KAFKA_BROKERS?.split(','), sql: db.sql, logger })
 * createApp({ committed: events.relay.kick, checks: () => [events.check] })
 */
export function startEventing(o: EventingOptions): Eventing {
  let publisher: EventPublisher | null = null
  let consumer: EventConsumer | null = null
  let stopped = false
  if (!o.brokers)
    o.logger.warn('KAFKA_BROKERS is not set: events wait in the outbox and no events are consumed')
  const brokerLog = createBrokerLog(o.logger)
  const reachable = () => brokerLog.reachable()
  const current = () => publisher
  // A pure consumer (no outbox) publishes nothing: no relay work and no producer connection.
  const publishes = Boolean(o.relay || o.sql)
  const relay: OutboxRelay = o.relay
    ? o.relay(current)
    : o.sql
      ? startOutboxRelay({ sql: o.sql, publisher: current, logger: o.logger })
      : {
          kick() {},
          pending: async () => 0,
          oldestPendingAgeSec: async () => 0,
          stop: async () => {},
        }
  const connect = async () => {
    while (o.brokers && !stopped && ((publishes && !publisher) || (o.consumer && !consumer))) {
      try {
        if (publishes)
          publisher ??= await createEventPublisher({
            brokers: o.brokers,
            security: o.security,
            clientId: o.service,
            logger: o.logger,
            brokerLog,
            onConnected: reachable,
          })
        if (o.consumer && !consumer) {
          // Its own client: see kafkaClient's note on consumers after broker restarts.
          consumer = await startEventConsumer({
            observe: o.metrics ? observeHandled(o.metrics) : undefined,
            ...o.consumer,
            brokers: o.brokers,
            security: o.security,
            clientId: `${o.service}-consumer`,
            brokerLog,
            logger: o.logger,
            onJoined: reachable,
          })
        }
        relay.kick()
      } catch (err) {
        brokerLog.failure(`connecting: ${(err as Error).message}`, {
          retryInMs: o.retryMs ?? 2_000,
        })
        await Bun.sleep(o.retryMs ?? 2_000)
      }
    }
  }
  void (o.startAfter ?? Promise.resolve()).then(connect)
  if (o.metrics) {
    o.metrics.gauge(
      'outbox_pending_events',
      'Events written to the outbox and not yet published',
      [],
      async (g) => {
        g.set(await relay.pending().catch(() => Number.NaN))
      },
    )
    o.metrics.gauge(
      'outbox_oldest_pending_age_seconds',
      'Seconds since the oldest unpublished outbox event was written (0 when none waits)',
      [],
      async (g) => {
        g.set(await relay.oldestPendingAgeSec().catch(() => Number.NaN))
      },
    )
    if (o.consumer) watchLag(o.metrics, o.consumer.groupId, () => consumer, o.lagIntervalMs)
  }
  return {
    relay,
    check: {
      name: 'events',
      check: async () => {
        const consumerState = o.consumer ? await consumerStatus(consumer, o.statusTimeoutMs) : {}
        const details = {
          ...(publishes ? { producer: publisher?.connected() ?? false } : {}),
          ...(o.consumer ? { consumer: consumerState } : {}),
          outboxPending: await relay.pending(),
        }
        const down =
          Boolean(o.brokers) &&
          (brokerLog.isDown() ||
            (publishes && !publisher?.connected()) ||
            (o.consumer !== undefined && !consumer?.joined()))
        return down
          ? { degraded: 'kafka unreachable: events wait and are consumed later', ...details }
          : details
      },
    },
    resources: [
      { name: 'kafka producer', close: async () => publisher?.close() },
      { name: 'kafka consumer', close: async () => consumer?.close() },
      {
        name: 'outbox relay',
        close: async () => {
          stopped = true
          await relay.stop()
        },
      },
    ],
  }
}

/** The consumer's status, or what is known without the broker when it does not answer in time. */
async function consumerStatus(
  consumer: EventConsumer | null,
  timeoutMs = 250,
): Promise<Record<string, unknown>> {
  if (!consumer) return { joined: false }
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<Record<string, unknown>>((resolve) => {
    timer = setTimeout(
      () => resolve({ joined: consumer.joined(), lag: 'unknown: the broker did not answer' }),
      timeoutMs,
    )
  })
  try {
    return await Promise.race([
      consumer
        .status()
        .then((s) => ({ ...s }))
        .catch((err: Error) => ({ joined: consumer.joined(), error: err.message })),
      late,
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Counts each consumed event by topic, type and outcome, with how long it took. */
function observeHandled(metrics: Metrics): EventConsumerOptions['observe'] {
  const h = metrics.histogram(
    'messaging_process_duration_seconds',
    'Time to handle one consumed event, by topic, CloudEvents type and outcome',
    ['messaging_destination_name', 'cloudevents_event_type', 'outcome'] as const,
  )
  return (e) =>
    h.observe(
      { messaging_destination_name: e.topic, cloudevents_event_type: e.type, outcome: e.outcome },
      e.seconds,
    )
}

/** The consumer whose lag a registry reports: the latest one (the feed starts a new one on a rebuild). */
const lagSources = new WeakMap<
  Metrics,
  {
    group: string
    consumer: () => EventConsumer | null
    last: { topic: string; partition: number; lag: number }[]
  }
>()

/**
 * Consumer lag per partition, read from the broker every 5 s in the background
 * (a scrape never waits on Kafka) and served from the last reading.
 */
function watchLag(
  metrics: Metrics,
  group: string,
  consumer: () => EventConsumer | null,
  intervalMs = 5_000,
) {
  const first = !lagSources.has(metrics)
  lagSources.set(metrics, { group, consumer, last: [] })
  if (!first) return
  const timer = setInterval(async () => {
    const source = lagSources.get(metrics)!
    const c = source.consumer()
    if (c) source.last = (await c.status().catch(() => null))?.lag ?? source.last
  }, intervalMs)
  timer.unref()
  metrics.gauge(
    'messaging_kafka_consumer_lag',
    'Messages behind the high watermark, per consumer group, topic and partition',
    [
      'messaging_consumer_group_name',
      'messaging_destination_name',
      'messaging_destination_partition_id',
    ] as const,
    (g) => {
      const source = lagSources.get(metrics)!
      g.reset()
      for (const p of source.last)
        g.set(
          {
            messaging_consumer_group_name: source.group,
            messaging_destination_name: p.topic,
            messaging_destination_partition_id: String(p.partition),
          },
          p.lag,
        )
    },
  )
}
