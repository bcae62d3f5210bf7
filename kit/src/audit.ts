/**
 * The audit event: one privileged action or security event (a login, a role
 * change, a suspension, a moderation, an account deletion) as a CloudEvent, with
 * who did it, to what, why, and the request and trace it happened in. Each
 * publisher writes its audit events through its own outbox to its own audit topic
 * (`civildiy.<service>.audit`); the auth service's audit consumer stores them,
 * append-only, for admins to query.
 */
import { type Static, Type as t } from '@sinclair/typebox'
import { currentRequestId } from './context.ts'
import { createEvent, defineEvent } from './events/envelope.ts'
import { traceHeaders } from './telemetry/tracing.ts'

/** What an audit entry says. `actorId` is null when nobody authenticated (a failed login). */
export const AuditRecordedData = t.Object({
  /** Dotted verb: `login.succeeded`, `login.failed`, `refresh.reused`, `role.changed`, `user.suspended`, `post.removed`, ... */
  action: t.String({ minLength: 1, maxLength: 64 }),
  actorId: t.Union([t.String({ format: 'uuid' }), t.Null()]),
  /** What it was done to: `user:<id>`, `post:<id>`, `comment:<id>`, `email:<sha-256 prefix>`. */
  subject: t.String({ minLength: 1, maxLength: 128 }),
  reason: t.Union([t.String({ maxLength: 500 }), t.Null()]),
  /** Empty when the action ran outside a request (a saga step). */
  requestId: t.String(),
  /** W3C trace id (32 hex), empty when tracing is off. */
  traceId: t.String(),
  /** Facts of the action: roles before and after, the moderated post's author, ... */
  details: t.Record(t.String(), t.Unknown()),
  at: t.String({ format: 'date-time' }),
})
export type AuditRecordedData = Static<typeof AuditRecordedData>

export const AuditRecorded = defineEvent('audit.recorded', 1, AuditRecordedData)

/** The trace id of the active span's `traceparent`, or '' (W3C Trace Context §3.2). */
function currentTraceId(): string {
  const parent = traceHeaders().traceparent
  return parent?.split('-')[1] ?? ''
}

/**
 * An audit event for the current request: its request id and trace id filled in.
 * @throws Error when the entry does not match AuditRecordedData (a producer bug).
 * @example enqueueEvents(tx, [{ topic: AuthAuditTopic, key: userId, event: auditEvent('/civildiy/auth', { action: 'login.failed', actorId: null, subject, reason: null }) }])
 */
export function auditEvent(
  source: string,
  entry: Pick<AuditRecordedData, 'action' | 'actorId' | 'subject' | 'reason'> & {
    details?: Record<string, unknown>
    at?: Date
  },
) {
  const at = entry.at ?? new Date()
  return createEvent(AuditRecorded, {
    source,
    subject: entry.subject,
    time: at,
    data: {
      action: entry.action,
      actorId: entry.actorId,
      subject: entry.subject,
      reason: entry.reason,
      requestId: currentRequestId() ?? '',
      traceId: currentTraceId(),
      details: entry.details ?? {},
      at: at.toISOString(),
    },
  })
}
