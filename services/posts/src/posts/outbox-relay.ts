/**
 * Publishes the events kept on post documents (see PostDoc.outbox) and removes
 * them once Kafka accepted them; a deleted post is removed when its last event is
 * out. Events of one post go out in the order they were written; a crash after
 * publishing and before the pull publishes again, so consumers de-duplicate by
 * event id. While Kafka is down, events wait on their documents.
 */
import { type EventPublisher, type Logger, type OutboxRelay, startRelayLoop } from '@civildiy/kit'
import type { AnyBulkWriteOperation, Collection } from 'mongodb'
import type { PostDoc } from './model.ts'

export function startPostOutboxRelay(o: {
  posts: Collection<PostDoc>
  topic: string
  publisher: () => EventPublisher | null
  logger: Logger
  pollIntervalMs?: number
  batchSize?: number
}): OutboxRelay {
  const batchSize = o.batchSize ?? 100
  const drain = async () => {
    for (;;) {
      const publisher = o.publisher()
      if (!publisher) return
      const docs = await o.posts
        .find(
          { outboxPending: true },
          { projection: { _id: 1, authorId: 1, outbox: 1, deletedAt: 1 } },
        )
        .sort({ _id: 1 })
        .limit(batchSize)
        .toArray()
      if (docs.length === 0) return
      await publisher.publish(
        docs.flatMap((d) =>
          d.outbox.map(({ context, ...event }) => ({
            topic: o.topic,
            key: d.authorId,
            event,
            // Each event's own request, never the one that happened to wake the relay.
            requestId: context?.requestId ?? '',
            traceparent: context?.traceparent,
          })),
        ),
      )
      // One ordered bulk write (a round trip or two, not two per post): each post's
      // pull runs before its clean-up, which only applies if nothing new was queued.
      await o.posts.bulkWrite(
        docs.flatMap((d): AnyBulkWriteOperation<PostDoc>[] => [
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
  return startRelayLoop({
    drain,
    pending: async () =>
      (
        await o.posts
          .aggregate<{ n: number }>([
            { $match: { outboxPending: true } },
            { $project: { n: { $size: '$outbox' } } },
            { $group: { _id: null, n: { $sum: '$n' } } },
          ])
          .toArray()
      )[0]?.n ?? 0,
    oldestPendingAgeSec: async () => {
      // Each entry is a CloudEvent: its `time` is when it was written.
      const [row] = await o.posts
        .aggregate<{ oldest: string | null }>([
          { $match: { outboxPending: true } },
          { $unwind: '$outbox' },
          { $group: { _id: null, oldest: { $min: '$outbox.time' } } },
        ])
        .toArray()
      const written = row?.oldest ? Date.parse(row.oldest) : Number.NaN
      return Number.isFinite(written) ? Math.max(0, (Date.now() - written) / 1000) : 0
    },
    logger: o.logger,
    name: 'post outbox relay',
    pollIntervalMs: o.pollIntervalMs,
  })
}
