/**
 * The audit consumer: every service's audit topic into the audit trail. One
 * fixed consumer group: the trail is a store of record, never rebuilt. An event
 * whose data does not match the audit schema goes to the dead-letter topic.
 */
import { AuditRecorded, type EventHandler, eventData } from '@civildiy/kit'
import { PostsAuditTopic } from '@civildiy/posts/events'
import { AuthAuditTopic } from '../events.ts'
import type { AuditService } from './service.ts'

/** The topics audit entries come from: one per publisher. */
export const AUDIT_TOPICS = [AuthAuditTopic, PostsAuditTopic]

/** @example ctx.events({ sql, consumer: auditConsumer(createAuditService(sql)) }) */
export function auditConsumer(audit: AuditService) {
  const record: EventHandler = (e) => audit.record({ ...e, data: eventData(AuditRecorded, e) })
  return {
    groupId: 'auth-audit',
    topics: AUDIT_TOPICS,
    deadLetterTopic: 'civildiy.auth.audit.dlq',
    handlers: { [AuditRecorded.type]: record },
  }
}
