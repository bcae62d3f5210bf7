/**
 * Publishing and consuming CloudEvents over Kafka with kafkajs, in the CloudEvents
 * Kafka binding's structured mode (the whole envelope is the message value,
 * `content-type: application/cloudevents+json`). The request id travels in the
 * `x-request-id` header and is restored around each handler.
 * Source: https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
 */

import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api'
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs'
import { currentRequestId, requestContext } from '../context.ts'
import type { Logger } from '../logger.ts'
import {
  contextFrom,
  inSpan,
  SpanKind,
  traceHeaders,
  tracer,
  tracingEnabled,
} from '../telemetry/tracing.ts'
import type { BrokerLog } from './broker-log.ts'
import { type CloudEvent, InvalidEventError, parseEvent } from './envelope.ts'
import type { KafkaSecurity } from './kafka-security.ts'
import { fixKafkajsIdleLoop } from './kafkajs-idle-loop-fix.ts'
import { runKeyOrdered } from './key-ordered.ts'

/** Thrown to stop a batch early because the consumer is stopping or its partitions moved. */
class BatchAbandoned extends Error {}

/**
 * A Kafka client for `KAFKA_BROKERS` with kafkajs logs routed to our logger
 * (errors through `brokerLog`, when given, so an outage is logged once per change
 * of state rather than once per retry). Give consumers a client of their own,
 * separate from the publisher's: after a broker restart, a consumer created from
 * the producer's kafkajs instance was seen to join its group yet fetch nothing.
 * Also applies `fixKafkajsIdleLoop()`.
 */
export function kafkaClient({
  brokers,
  clientId,
  logger,
  brokerLog,
  security,
}: KafkaConnection): Kafka {
  fixKafkajsIdleLoop()
  const { Kafka, logLevel } = kafkajs()
  return new Kafka({
    clientId,
    brokers,
    // One shape for the three mechanisms; kafkajs's union type splits them.
    ...(security?.sasl ? { sasl: security.sasl as import('kafkajs').SASLOptions } : {}),
    ...(security?.tls ? { ssl: security.tls.ca ? { ca: [security.tls.ca] } : true } : {}),
    logLevel: logLevel.WARN,
    // Short retry chains: the outbox relay and the consumer retry on their own, so a
    // broker that comes back is noticed within seconds, not after a long backoff.
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log
      if (brokerLog && entry.level <= logLevel.ERROR) {
        brokerLog.failure(message, { namespace: entry.namespace, broker: rest.broker })
        return
      }
      logger[entry.level <= logLevel.ERROR ? 'error' : 'warn'](
        { kafka: rest, namespace: entry.namespace },
        message,
      )
    },
  })
}

/**
 * The kafkajs module, loaded on first use: about 60 ms of module evaluation that a
 * process without Kafka (the gateway) never pays, and a service pays after it listens.
 */
function kafkajs(): typeof import('kafkajs') {
  return require('kafkajs')
}

/** An event bound for a topic, keyed so related events keep their order. */
export interface OutgoingEvent {
  topic: string
  key: string
  event: CloudEvent
  /** Request id to carry; default: the current one. */
  requestId?: string
  /** The W3C traceparent of the request that wrote it (from the outbox); default: the active context. */
  traceparent?: string
}

export interface EventPublisher {
  /** Sends events (acks from all in-sync replicas); resolves once Kafka accepted them. */
  publish(events: OutgoingEvent[]): Promise<void>
  /** Whether the producer is connected (for readiness). */
  connected(): boolean
  close(): Promise<void>
}

/**
 * Where Kafka is and who connects: all a caller gives the kit's Kafka port. The
 * kafkajs client behind it stays inside this module, so no kafkajs type crosses
 * the kit's public API and replacing the client is this one adapter.
 */
export interface KafkaConnection {
  /** Bootstrap `host:port` entries. */
  brokers: string[]
  clientId: string
  logger: Logger
  /** Broker errors go here (logged once per change of state) rather than one line each. */
  brokerLog?: BrokerLog
  /** SASL credentials and TLS (see kafka-security.ts); unset: plaintext, no authentication. */
  security?: KafkaSecurity
}

/**
 * The publisher behind every outbox relay. Delivery is at-least-once, made
 * effectively-once by the consumers: acks from all in-sync replicas, one request
 * in flight per connection (so a retry cannot reorder a partition), and every
 * event carries its `id`, which consumers use as the idempotency key.
 *
 * Not kafkajs's idempotent producer: its guarantee needs unlimited send retries
 * (kafkajs warns when they are limited), and a send here must fail within
 * seconds so the relay reports the broker down and retries the batch itself. A
 * batch sent twice that way arrives twice with the same ids, which the
 * consumers drop.
 * @throws when Kafka cannot be reached within the client's retries.
 * @example
 * const events = await createEventPublisher({ brokers: ['127.0.0.1:9092'], clientId: 'auth', logger })
 * await events.publish([{ topic: 'users', key: userId, event }])
 */
export async function createEventPublisher(
  o: KafkaConnection & { onConnected?: () => void },
): Promise<EventPublisher> {
  const kafka = kafkaClient(o)
  const onConnected = o.onConnected
  const producer: Producer = kafka.producer({
    createPartitioner: kafkajs().Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
  })
  let isConnected = false
  producer.on(producer.events.CONNECT, () => {
    isConnected = true
    onConnected?.()
  })
  producer.on(producer.events.DISCONNECT, () => {
    isConnected = false
  })
  await producer.connect()
  return {
    async publish(events) {
      const byTopic = new Map<string, OutgoingEvent[]>()
      for (const e of events) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e])
      const spans = producerSpans(events)
      try {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map((e) => {
              const requestId = e.requestId ?? currentRequestId()
              return {
                key: e.key,
                value: JSON.stringify(e.event),
                headers: {
                  'content-type': 'application/cloudevents+json',
                  ...(requestId ? { 'x-request-id': requestId } : {}),
                  ...spans.headers(e),
                },
              }
            }),
          })),
        })
        spans.end()
      } catch (err) {
        spans.end(err as Error)
        throw err
      }
    },
    connected: () => isConnected,
    close: () => producer.disconnect(),
  }
}

/**
 * One PRODUCER span per event, each a child of the trace its event was written
 * in (the traceparent the outbox kept), whose context the message carries in its
 * `traceparent` header (W3C Trace Context; the CloudEvents distributed tracing
 * extension's attribute, carried as a Kafka header). Nothing when tracing is off.
 */
function producerSpans(events: readonly OutgoingEvent[]) {
  if (!tracingEnabled()) return { headers: () => ({}), end: () => {} }
  const spans = new Map<OutgoingEvent, Span>()
  for (const e of events) {
    const parent = e.traceparent ? contextFrom({ traceparent: e.traceparent }) : context.active()
    const span = tracer().startSpan(
      `publish ${e.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': e.topic,
          'messaging.operation.type': 'send',
          'cloudevents.event_id': e.event.id,
          'cloudevents.event_type': e.event.type,
        },
      },
      parent,
    )
    spans.set(e, span)
  }
  return {
    headers: (e: OutgoingEvent) => traceHeaders(trace.setSpan(context.active(), spans.get(e)!)),
    end(err?: Error) {
      for (const span of spans.values()) {
        if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err.message })
        span.end()
      }
    },
  }
}

/** Handles one event; throwing makes the consumer retry, then dead-letter it. */
export type EventHandler = (
  event: CloudEvent,
  meta: { topic: string; partition: number; offset: string },
) => Promise<void>

export interface EventConsumerOptions extends KafkaConnection {
  groupId: string
  topics: string[]
  /** Handlers by event type; events of other types are skipped (and committed). */
  handlers: Record<string, EventHandler>
  /** Where poison messages go after `maxAttempts`; default `<groupId>.dlq`. */
  deadLetterTopic?: string
  /** Attempts per message before dead-lettering. Default 5. */
  maxAttempts?: number
  /** First retry delay, doubled each attempt. Default 100 ms. */
  retryBaseMs?: number
  fromBeginning?: boolean
  /**
   * Events of one fetched batch handled at once. Default 1: one at a time, in
   * partition order. Above 1, events with the same `orderingKey` still run one
   * after another in offset order, and the committed offset only moves past an
   * event once it and every event before it are done.
   */
  concurrency?: number
  /** What must stay in order when `concurrency` > 1; default: the message key (Kafka's own ordering unit). */
  orderingKey?: (event: CloudEvent) => string
  /** Called each time the member joins its group (the broker is reachable). */
  onJoined?: () => void
  /** Called once per message with how its handling ended, for metrics. */
  observe?: (o: {
    topic: string
    type: string
    outcome: 'handled' | 'skipped' | 'dead_lettered'
    seconds: number
  }) => void
}

/** Where a consumer stands: per-partition lag (high watermark minus committed offset) and its last event. */
export interface ConsumerStatus {
  joined: boolean
  lastEventAt: string | null
  lag: { topic: string; partition: number; lag: number }[]
}

export interface EventConsumer {
  /** Whether the consumer currently holds partitions in its group. */
  joined(): boolean
  /** Lag per partition, read from the broker (one admin round trip per topic). */
  status(): Promise<ConsumerStatus>
  close(): Promise<void>
}

/**
 * Starts a consumer group member. Each message is handled once it parses as a
 * CloudEvent; failures are retried with exponential backoff, and a message that
 * still fails (or is not an event at all) goes to the dead-letter topic with the
 * reason in a header, so one bad message never stalls the partition. Offsets are
 * committed after handling: delivery is at-least-once and handlers must be
 * idempotent (the event `id` is the idempotency key). With `concurrency` > 1 a
 * fetched batch is applied several events at a time, in order per `orderingKey`
 * (see runKeyOrdered), which keeps a consumer whose handlers wait on I/O (a Redis
 * round trip each) from falling behind a busy partition.
 */
export async function startEventConsumer(o: EventConsumerOptions): Promise<EventConsumer> {
  const kafka = kafkaClient(o)
  const consumer: Consumer = kafka.consumer({
    groupId: o.groupId,
    maxWaitTimeInMs: 1_000,
    heartbeatInterval: 1_000,
    sessionTimeout: 10_000,
  })
  const dlq = o.deadLetterTopic ?? `${o.groupId}.dlq`
  const maxAttempts = o.maxAttempts ?? 5
  const base = o.retryBaseMs ?? 100
  let producer: Producer | null = null
  let isJoined = false
  let closing = false
  let lastEventAt: string | null = null
  const admin = kafka.admin()
  let adminConnected: Promise<void> | null = null
  consumer.on(consumer.events.GROUP_JOIN, () => {
    isJoined = true
    o.onJoined?.()
  })
  consumer.on(consumer.events.STOP, () => {
    isJoined = false
  })
  const deadLetter = async (topic: string, message: KafkaMessage, reason: string) => {
    producer ??= kafka.producer({
      createPartitioner: kafkajs().Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    })
    await producer.connect()
    await producer.send({
      topic: dlq,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'x-dlq-reason': reason.slice(0, 500),
            'x-dlq-source-topic': topic,
          },
        },
      ],
    })
    o.logger.error(
      { topic, offset: message.offset, reason, deadLetterTopic: dlq },
      'event dead-lettered',
    )
  }
  await consumer.connect()
  await consumer.subscribe({ topics: o.topics, fromBeginning: o.fromBeginning ?? true })
  /** Handles one message: dead-letters what is not an event, runs its handler with retries, dead-letters it after the last; throws only when dead-lettering fails. */
  const handle = (
    topic: string,
    partition: number,
    message: KafkaMessage,
    event: CloudEvent | Error,
  ) =>
    requestContext.run(
      {
        requestId:
          message.headers?.['x-request-id']?.toString() ??
          `event-${topic}-${partition}-${message.offset}`,
      },
      async () => {
        const t0 = performance.now()
        const seen = (type: string, outcome: 'handled' | 'skipped' | 'dead_lettered') =>
          o.observe?.({ topic, type, outcome, seconds: (performance.now() - t0) / 1000 })
        if (event instanceof Error) {
          await deadLetter(topic, message, event.message)
          seen('unreadable', 'dead_lettered')
          return
        }
        lastEventAt = new Date().toISOString()
        const handler = o.handlers[event.type]
        if (!handler) return seen(event.type, 'skipped')
        // The projection runs in the trace of the request that wrote the event.
        const parent = () => contextFrom({ traceparent: message.headers?.traceparent?.toString() })
        const consumerAttributes = () => ({
          'messaging.system': 'kafka',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.consumer.group.name': o.groupId,
          'messaging.operation.type': 'process',
          'cloudevents.event_id': event.id,
          'cloudevents.event_type': event.type,
        })
        const run = () => withRetries(handler, event, { topic, partition, message })
        const outcome = tracingEnabled()
          ? await inSpan(`process ${topic}`, SpanKind.CONSUMER, consumerAttributes(), run, parent())
          : await run()
        seen(event.type, outcome)
      },
    )
  /** Runs a handler with backoff between attempts; dead-letters after the last, or at once for an unreadable event. */
  const withRetries = async (
    handler: EventHandler,
    event: CloudEvent,
    m: { topic: string; partition: number; message: KafkaMessage },
  ): Promise<'handled' | 'dead_lettered'> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(event, { topic: m.topic, partition: m.partition, offset: m.message.offset })
        return 'handled'
      } catch (err) {
        if (err instanceof InvalidEventError || attempt >= maxAttempts || closing) {
          await deadLetter(m.topic, m.message, (err as Error).message)
          return 'dead_lettered'
        }
        o.logger.warn(
          { eventId: event.id, type: event.type, attempt, err: (err as Error).message },
          'event handler failed; retrying',
        )
        await Bun.sleep(base * 2 ** (attempt - 1))
      }
    }
  }
  const parse = (message: KafkaMessage): CloudEvent | Error => {
    try {
      return parseEvent(message.value)
    } catch (err) {
      return err as Error
    }
  }
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const { topic, partition } = batch
      const parsed = batch.messages.map(parse)
      await runKeyOrdered(batch.messages, {
        concurrency: o.concurrency ?? 1,
        keyOf: (message, i) => {
          const event = parsed[i]
          // A message that is not an event only gets dead-lettered: it orders with nothing.
          if (!event || event instanceof Error) return `#${i}`
          return o.orderingKey?.(event) ?? `k:${message.key?.toString('hex') ?? `#${i}`}`
        },
        beforeEach: async () => {
          if (!isRunning() || isStale()) throw new BatchAbandoned()
          await heartbeat()
        },
        work: (message, i) => handle(topic, partition, message, parsed[i] as CloudEvent | Error),
        onPrefixDone: (i) => resolveOffset((batch.messages[i] as KafkaMessage).offset),
      }).catch((err) => {
        // Stopping or rebalancing: what finished is resolved and gets committed; the rest is fetched again.
        if (!(err instanceof BatchAbandoned)) throw err
      })
    },
  })
  return {
    joined: () => isJoined,
    async status() {
      adminConnected ??= admin.connect()
      await adminConnected
      const lag: ConsumerStatus['lag'] = []
      const existing = new Set(await admin.listTopics())
      // A topic nobody has published to yet has no partitions and no lag.
      for (const topic of o.topics.filter((t) => existing.has(t))) {
        const [high, committed] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId: o.groupId, topics: [topic] }),
        ])
        for (const p of high) {
          const offset = Number(
            committed[0]?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1,
          )
          lag.push({
            topic,
            partition: p.partition,
            lag: Number(p.high) - Math.max(offset, Number(p.low)),
          })
        }
      }
      return { joined: isJoined, lastEventAt, lag }
    },
    async close() {
      closing = true
      await consumer.disconnect()
      await producer?.disconnect()
      if (adminConnected) await admin.disconnect()
    },
  }
}
