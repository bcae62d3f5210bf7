/** Shapes of the audit query API. */
import { t } from 'elysia'

export const AuditEntry = t.Object({
  seq: t.String({ description: 'order of recording (a bigint as a string)' }),
  eventId: t.String(),
  source: t.String({ description: 'the CloudEvents source: which service recorded it' }),
  action: t.String(),
  actorId: t.Union([t.String({ format: 'uuid' }), t.Null()]),
  subject: t.String(),
  reason: t.Union([t.String(), t.Null()]),
  requestId: t.String(),
  traceId: t.String(),
  details: t.Record(t.String(), t.Unknown()),
  at: t.String({ format: 'date-time' }),
})
export type AuditEntry = typeof AuditEntry.static

export const AuditPage = t.Object({
  items: t.Array(AuditEntry),
  /** Pass back as `cursor` for older entries; null on the last page. */
  nextCursor: t.Union([t.String(), t.Null()]),
})
export type AuditPage = typeof AuditPage.static

export const AuditQuery = t.Object({
  actor: t.Optional(t.String({ format: 'uuid', error: 'must be a user id' })),
  subject: t.Optional(t.String({ minLength: 1, maxLength: 128 })),
  action: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
  cursor: t.Optional(
    t.String({ pattern: '^[1-9][0-9]{0,17}$', error: 'must be a nextCursor of a previous page' }),
  ),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
})
export type AuditQuery = typeof AuditQuery.static
