/**
 * The transactional outbox for Postgres: an event row is written in the same
 * transaction as the state change it describes, and a relay publishes pending rows
 * to Kafka and marks them published. A crash between commit and publish loses
 * nothing (the row stays pending); a crash between publish and mark publishes twice,
 * so consumers de-duplicate by event id.
 * Pattern: https://microservices.io/patterns/data/transactional-outbox.html
 */
import type { Sql, TransactionSql } from 'postgres'
import { currentRequestId } from '../context.ts'
import type { Logger } from '../logger.ts'
import { traceHeaders } from '../telemetry/tracing.ts'
import type { CloudEvent } from './envelope.ts'
import type { EventPublisher } from './kafka.ts'
import { type OutboxRelay, startRelayLoop } from './relay-loop.ts'

export type { OutboxRelay } from './relay-loop.ts'

/** The outbox table; include OUTBOX_MIGRATIONS in a service's migrations. */
const OUTBOX_TABLE = {
  id: 'kit-0001-outbox',
  sql: `
    create table if not exists outbox_events (
      id uuid primary key,
      topic text not null,
      key text not null,
      envelope jsonb not null,
      request_id text,
      created_at timestamptz not null default now(),
      claimed_until timestamptz,
      published_at timestamptz
    );
    create index if not exists outbox_events_pending on outbox_events (id) where published_at is null;
  `,
}

/** The outbox's migrations, in order: the table, then each entry's trace context. */
export const OUTBOX_MIGRATIONS = [
  OUTBOX_TABLE,
  {
    id: 'kit-0002-outbox-traceparent',
    sql: 'alter table outbox_events add column if not exists traceparent text',
  },
]

/**
 * Writes events into the outbox inside the caller's transaction.
 * @example await sql.begin(async (tx) => { await tx`insert into users ...`; await enqueueEvents(tx, [{ topic: 'users', key: id, event }]) })
 */
export async function enqueueEvents(
  tx: TransactionSql,
  events: { topic: string; key: string; event: CloudEvent; requestId?: string }[],
): Promise<void> {
  // Stored with each entry: the relay publishes it in the trace of the request that wrote it.
  const traceparent = traceHeaders().traceparent ?? null
  for (const e of events) {
    const requestId = e.requestId ?? currentRequestId() ?? null
    await tx`insert into outbox_events (id, topic, key, envelope, request_id, traceparent) values (${e.event.id}, ${e.topic}, ${e.key}, ${tx.json(e.event as never)}, ${requestId}, ${traceparent})`
  }
}

export interface OutboxRelayOptions {
  sql: Sql
  publisher: () => EventPublisher | null
  logger: Logger
  /** How often to look for pending events, ms. Default 250. */
  pollIntervalMs?: number
  /** Events per publish. Default 200. */
  batchSize?: number
}

/**
 * Starts relaying. While Kafka is down, events stay pending and are published in
 * order when it returns; nothing is dropped.
 */
export function startOutboxRelay(o: OutboxRelayOptions): OutboxRelay {
  const batchSize = o.batchSize ?? 200
  const drain = async () => {
    for (;;) {
      const publisher = o.publisher()
      if (!publisher) return
      // Claim a batch in a short transaction (a lease, so a crashed relay's rows come
      // back), then publish outside it: a slow or absent Kafka never holds a
      // connection or a lock that the service's own writes need.
      const rows = await o.sql<
        {
          id: string
          topic: string
          key: string
          envelope: CloudEvent
          request_id: string | null
          traceparent: string | null
        }[]
      >`
        update outbox_events set claimed_until = now() + interval '30 seconds'
        where id in (
          select id from outbox_events
          where published_at is null and (claimed_until is null or claimed_until < now())
          order by id limit ${batchSize} for update skip locked)
        returning id, topic, key, envelope, request_id, traceparent`
      if (rows.length === 0) return
      rows.sort((a, b) => (a.id < b.id ? -1 : 1))
      const ids = rows.map((r) => r.id)
      try {
        await publisher.publish(
          rows.map((r) => ({
            topic: r.topic,
            key: r.key,
            event: r.envelope,
            requestId: r.request_id ?? '',
            traceparent: r.traceparent ?? undefined,
          })),
        )
      } catch (err) {
        await o.sql`update outbox_events set claimed_until = null where id in ${o.sql(ids)}`
        throw err
      }
      await o.sql`update outbox_events set published_at = now(), claimed_until = null where id in ${o.sql(ids)}`
      if (rows.length < batchSize) return
    }
  }

  return startRelayLoop({
    drain,
    pending: async () => {
      const [row] = await o.sql<
        { n: number }[]
      >`select count(*)::int as n from outbox_events where published_at is null`
      return row?.n ?? 0
    },
    oldestPendingAgeSec: async () => {
      const [row] = await o.sql<
        { age: number | null }[]
      >`select extract(epoch from now() - min(created_at))::float8 as age from outbox_events where published_at is null`
      return Math.max(0, row?.age ?? 0)
    },
    logger: o.logger,
    name: 'outbox relay',
    pollIntervalMs: o.pollIntervalMs,
  })
}
