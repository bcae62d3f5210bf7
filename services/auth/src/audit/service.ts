/**
 * The audit trail: entries recorded from the audit topics (idempotent by event
 * id) and read back newest first. There is no way to change or remove an entry:
 * this module has no such function, no route exposes one, and the table's
 * triggers refuse UPDATE, DELETE and TRUNCATE (migration auth-0004).
 */
import type { AuditRecordedData, CloudEvent } from '@civildiy/kit'
import type { Sql } from 'postgres'
import type { AuditEntry, AuditPage, AuditQuery } from './model.ts'

export interface AuditService {
  /** Stores one audit event; a second delivery of the same event adds nothing. */
  record(event: CloudEvent<AuditRecordedData>): Promise<void>
  /** Entries matching every given filter, newest first. */
  query(q: AuditQuery & { limit: number }): Promise<AuditPage>
}

interface Row {
  seq: string
  event_id: string
  source: string
  action: string
  actor_id: string | null
  subject: string
  reason: string | null
  request_id: string
  trace_id: string
  details: Record<string, unknown>
  at: Date
}

const view = (r: Row): AuditEntry => ({
  seq: String(r.seq),
  eventId: r.event_id,
  source: r.source,
  action: r.action,
  actorId: r.actor_id,
  subject: r.subject,
  reason: r.reason,
  requestId: r.request_id,
  traceId: r.trace_id,
  details: r.details,
  at: r.at.toISOString(),
})

/** @example const audit = createAuditService(sql); await audit.query({ actor, limit: 50 }) */
export function createAuditService(sql: Sql): AuditService {
  return {
    async record(e) {
      const d = e.data
      await sql`
        insert into audit_entries (event_id, source, action, actor_id, subject, reason, request_id, trace_id, details, at)
        values (${e.id}, ${e.source}, ${d.action}, ${d.actorId}, ${d.subject}, ${d.reason}, ${d.requestId}, ${d.traceId}, ${sql.json(d.details as never)}, ${d.at})
        on conflict (event_id) do nothing`
    },
    async query(q) {
      const rows = await sql<Row[]>`
        select seq::text as seq, event_id, source, action, actor_id, subject, reason, request_id, trace_id, details, at
        from audit_entries
        where true
          ${q.actor ? sql`and actor_id = ${q.actor}` : sql``}
          ${q.subject ? sql`and subject = ${q.subject}` : sql``}
          ${q.action ? sql`and action = ${q.action}` : sql``}
          ${q.cursor ? sql`and seq < ${q.cursor}` : sql``}
        order by seq desc
        limit ${q.limit + 1}`
      const items = rows.slice(0, q.limit).map(view)
      return { items, nextCursor: rows.length > q.limit ? items.at(-1)!.seq : null }
    },
  }
}
