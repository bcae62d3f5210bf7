/**
 * Publishes the events kept on documents (posts, comments: see PostDoc.outbox) and
 * removes them once Kafka accepted them; a deleted document is removed when its
 * last event is out. Events of one document go out in the order they were written;
 * a crash after publishing and before the pull publishes again, so consumers
 * de-duplicate by event id. An entry naming its own topic (an audit event) goes
 * there instead of the source's topic. While Kafka is down, events wait on their documents.
 */
import { type EventPublisher, type Logger, type OutboxRelay, startRelayLoop } from '@civildiy/kit'
import type { AnyBulkWriteOperation, Collection, Filter } from 'mongodb'
import type { OutboxEntry } from './posts/model.ts'

/** What the relay needs of a document: its outbox, and the fields its key is read from. */
export interface OutboxDocument {
  _id: string
  outbox: OutboxEntry[]
  outboxPending?: true
  deletedAt?: Date
}

/** One collection whose documents carry events, the topic they go to, and each event's key. */
export interface OutboxSource<D extends OutboxDocument> {
  collection: Collection<D>
  topic: string
  /** The Kafka key: what must stay in order (a post's author, a comment's post). */
  key: (doc: D) => string
  /** The fields `key` reads. */
  keyFields: (keyof D & string)[]
}

/**
 * @example startDocumentOutboxRelay({ sources: [{ collection: posts, topic: PostsTopic, key: (d) => d.authorId, keyFields: ['authorId'] }], publisher, logger })
 */
export function startDocumentOutboxRelay(o: {
  // biome-ignore lint/suspicious/noExplicitAny: each source has its own document type.
  sources: OutboxSource<any>[]
  publisher: () => EventPublisher | null
  logger: Logger
  pollIntervalMs?: number
  batchSize?: number
}): OutboxRelay {
  const batchSize = o.batchSize ?? 100
  const drain = async () => {
    for (const source of o.sources) await drainSource(source, o.publisher, batchSize)
  }
  return startRelayLoop({
    drain,
    pending: async () => {
      let n = 0
      for (const s of o.sources) n += await pendingIn(s.collection)
      return n
    },
    oldestPendingAgeSec: async () => {
      let oldest = 0
      for (const s of o.sources) oldest = Math.max(oldest, await oldestAgeSec(s.collection))
      return oldest
    },
    logger: o.logger,
    name: 'document outbox relay',
    pollIntervalMs: o.pollIntervalMs,
  })
}

async function drainSource(
  o: OutboxSource<OutboxDocument>,
  publisher: () => EventPublisher | null,
  batchSize: number,
) {
  for (;;) {
    const current = publisher()
    if (!current) return
    const projection = Object.fromEntries(
      ['_id', 'outbox', 'deletedAt', ...o.keyFields].map((f) => [f, 1]),
    )
    const docs = (await o.collection
      .find({ outboxPending: true } as Filter<OutboxDocument>, { projection })
      .sort({ _id: 1 })
      .limit(batchSize)
      .toArray()) as OutboxDocument[]
    if (docs.length === 0) return
    await current.publish(
      docs.flatMap((d) =>
        d.outbox.map(({ context, topic, ...event }) => ({
          topic: topic ?? o.topic,
          key: o.key(d),
          event,
          // Each event's own request, never the one that happened to wake the relay.
          requestId: context?.requestId ?? '',
          traceparent: context?.traceparent,
        })),
      ),
    )
    // One ordered bulk write (a round trip or two, not two per document): each
    // pull runs before its clean-up, which only applies if nothing new was queued.
    await o.collection.bulkWrite(
      docs.flatMap((d): AnyBulkWriteOperation<OutboxDocument>[] => [
        {
          updateOne: {
            filter: { _id: d._id },
            update: { $pull: { outbox: { id: { $in: d.outbox.map((e) => e.id) } } } },
          },
        },
        d.deletedAt
          ? { deleteOne: { filter: { _id: d._id, outbox: { $size: 0 } } } }
          : {
              updateOne: {
                filter: { _id: d._id, outbox: { $size: 0 } },
                update: { $unset: { outboxPending: '' } },
              },
            },
      ]),
      { ordered: true },
    )
    if (docs.length < batchSize) return
  }
}

async function pendingIn(collection: Collection<OutboxDocument>): Promise<number> {
  const [row] = await collection
    .aggregate<{ n: number }>([
      { $match: { outboxPending: true } },
      { $project: { n: { $size: '$outbox' } } },
      { $group: { _id: null, n: { $sum: '$n' } } },
    ])
    .toArray()
  return row?.n ?? 0
}

async function oldestAgeSec(collection: Collection<OutboxDocument>): Promise<number> {
  // Each entry is a CloudEvent: its `time` is when it was written.
  const [row] = await collection
    .aggregate<{ oldest: string | null }>([
      { $match: { outboxPending: true } },
      { $unwind: '$outbox' },
      { $group: { _id: null, oldest: { $min: '$outbox.time' } } },
    ])
    .toArray()
  const written = row?.oldest ? Date.parse(row.oldest) : Number.NaN
  return Number.isFinite(written) ? Math.max(0, (Date.now() - written) / 1000) : 0
}
