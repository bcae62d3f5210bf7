/**
 * The read model's lifecycle: which consumer group builds it, and what happens
 * when it is lost. The model records the group that built it
 * (`<prefix>meta:consumer-group`) and its format; a new group replays every
 * event from the beginning of the topics.
 *
 * Loss is detected and repaired without a restart: every `checkEveryMs` the
 * service reads the group key; when it is gone (Redis flushed, or restarted
 * without persistence) while the store answers, the service stops its consumer,
 * clears what is left, starts a new group from the beginning, and reports itself
 * not ready until that group has caught up (lag 0 on every partition). When
 * another feed instance already rebuilt under a new group, this one joins that
 * group instead of clearing again.
 */
import {
  type Eventing,
  type HealthCheck,
  type KafkaSecurity,
  type Logger,
  type Metrics,
  type Resource,
  startEventing,
} from '@civildiy/kit'
import { CommentsTopic, PostsTopic } from '@civildiy/posts/events'
import { FollowsTopic } from '@civildiy/profile/events'
import type { FeedKeys } from '../feed/keys.ts'
import { READ_MODEL_FORMAT } from '../feed/keys.ts'
import type { Projector } from '../feed/projector.ts'
import type { FeedStore } from '../store/feed-store.ts'

export interface ReadModelOptions {
  store: FeedStore
  /** The store's kind, for readiness and logs. */
  kind: string
  keys: FeedKeys
  projector: Projector
  logger: Logger
  brokers: string[] | undefined
  /** SASL and TLS to Kafka, from the kit. */
  security?: KafkaSecurity
  /** Events of a batch applied at once (CONSUMER_CONCURRENCY). */
  concurrency: number
  /** Drop the model and replay the topics at start (`--rebuild`). */
  rebuild?: boolean
  /** Ms between checks that the model is still there. Default 2000. */
  checkEveryMs?: number
  metrics?: Metrics
  /** Join the consumer group only once this resolves (the kit's `ctx.listening`). */
  startAfter?: Promise<unknown>
}

export interface ReadModel {
  /** Readiness: the store answers and no rebuild is under way; the consumer's state. */
  checks(): HealthCheck[]
  resources: Resource[]
  /** Rebuilds after a loss since start. */
  rebuilds(): number
}

/** Why the model must be built from the beginning at start, or null to go on with the stored group. */
async function startReason(o: ReadModelOptions): Promise<[string | null, string | null]> {
  const [group, format] = await Promise.all([
    o.store.getMeta(o.keys.consumerGroup),
    o.store.getMeta(o.keys.format),
  ])
  if (o.rebuild) return [group, 'requested (--rebuild)']
  if (!group) return [group, 'no read model yet']
  if (format !== READ_MODEL_FORMAT)
    return [group, `stored in format ${format ?? '1'}, this version uses ${READ_MODEL_FORMAT}`]
  return [group, null]
}

/**
 * @example const model = await openReadModel({ store, kind, keys, projector, logger, brokers, concurrency: 16 })
 */
export async function openReadModel(o: ReadModelOptions): Promise<ReadModel> {
  const [stored, reason] = await startReason(o)
  let group = stored && !reason ? stored : await build(o, reason!)
  let events = consume(o, group)
  let rebuilding: string | null = null
  let rebuilds = 0
  let busy = false

  const switchTo = async (next: string, why: string, clear: boolean) => {
    rebuilding = why
    for (const r of events.resources.toReversed()) await r.close().catch(() => {})
    group = clear ? await build(o, why) : next
    events = consume(o, group)
  }
  const watch = async () => {
    if (busy) return
    busy = true
    try {
      if (rebuilding) {
        if (await caughtUp(events)) {
          o.logger.warn({ groupId: group, rebuilds }, 'read model rebuilt; ready again')
          rebuilding = null
        }
        return
      }
      // undefined: the store did not answer, which says nothing about the model.
      const now = await o.store.getMeta(o.keys.consumerGroup).catch(() => undefined)
      if (now === null) {
        rebuilds++
        o.logger.warn(
          { groupId: group },
          'read model lost (its group key is gone: Redis flushed or restarted empty); rebuilding from the topics',
        )
        await switchTo('', 'the read model was lost', true)
      } else if (now !== undefined && now !== group) {
        o.logger.warn(
          { from: group, to: now },
          'another feed instance rebuilt the read model; joining its group',
        )
        await switchTo(now, `joining group ${now}`, false)
      }
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void watch(), o.checkEveryMs ?? 2_000)
  timer.unref()
  const statusLog = setInterval(async () => {
    const details = await events.check.check().catch((err: Error) => ({ error: err.message }))
    o.logger.info({ consumer: details }, 'consumer status')
  }, 30_000)
  statusLog.unref()

  return {
    checks: () => [
      {
        name: `read model (${o.kind})`,
        check: async () => {
          if (rebuilding) throw new Error(`rebuilding from the topics: ${rebuilding}`)
          await o.store.getMeta(o.keys.consumerGroup)
          return { groupId: group, rebuilds }
        },
      },
      events.check,
    ],
    resources: [
      {
        name: 'read model watch',
        close: async () => {
          clearInterval(timer)
          clearInterval(statusLog)
          for (const r of events.resources.toReversed()) await r.close()
        },
      },
    ],
    rebuilds: () => rebuilds,
  }
}

/** Clears the model and records a new group (and format) to build it. */
async function build(o: ReadModelOptions, reason: string): Promise<string> {
  const group = `feed-${Date.now()}`
  await o.store.clear(o.keys.prefix)
  await o.store.setMeta(o.keys.consumerGroup, group)
  await o.store.setMeta(o.keys.format, READ_MODEL_FORMAT)
  o.logger.info(
    { groupId: group, store: o.kind, reason },
    'building the read model from the beginning of the topics',
  )
  return group
}

function consume(o: ReadModelOptions, groupId: string): Eventing {
  return startEventing({
    service: 'feed',
    brokers: o.brokers,
    security: o.security,
    logger: o.logger,
    metrics: o.metrics,
    startAfter: o.startAfter,
    consumer: {
      groupId,
      topics: [PostsTopic, CommentsTopic, FollowsTopic],
      deadLetterTopic: 'civildiy.feed.dlq',
      concurrency: o.concurrency,
      orderingKey: o.projector.orderingKey,
      handlers: Object.fromEntries(
        o.projector.types.map((type) => [
          type,
          async (event) => void (await o.projector.apply(event)),
        ]),
      ),
    },
  })
}

/** Whether the consumer has joined and has no lag on any partition. */
async function caughtUp(events: Eventing): Promise<boolean> {
  const details = (await events.check.check().catch(() => undefined)) as
    | { consumer?: { joined?: boolean; lag?: unknown } }
    | undefined
  const c = details?.consumer
  return Boolean(
    c?.joined && Array.isArray(c.lag) && c.lag.every((p: { lag: number }) => p.lag === 0),
  )
}
