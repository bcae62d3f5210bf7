/**
 * Writes the auth service's audit events into its outbox, in the transaction of
 * the action they record, so an action and its audit entry commit together.
 */
import { auditEvent, enqueueEvents } from '@civildiy/kit'
import type { TransactionSql } from 'postgres'
import { AUTH_SOURCE, AuthAuditTopic } from '../events.ts'

/** One audit entry as the auth service writes it (request and trace ids are filled in). */
export type AuditWrite = Parameters<typeof auditEvent>[1]

/**
 * @example await tx.begin((tx) => enqueueAudit(tx, { action: 'login.failed', actorId: null, subject, reason: 'wrong password' }))
 */
export async function enqueueAudit(tx: TransactionSql, ...entries: AuditWrite[]): Promise<void> {
  await enqueueEvents(
    tx,
    entries.map((e) => ({
      topic: AuthAuditTopic,
      key: e.subject,
      event: auditEvent(AUTH_SOURCE, e),
    })),
  )
}
