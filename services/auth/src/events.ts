/**
 * The events the auth service publishes, and their topic: the contract it owns.
 * Consumers import them from this package's `events` entry; the kit carries only
 * the transport (envelope, publishing, consuming, outbox).
 */
import { defineEvent } from '@civildiy/kit'
import { Type as t } from '@sinclair/typebox'

/** CloudEvents `source` of everything the auth service publishes. */
export const AUTH_SOURCE = '/civildiy/auth'

/** Topic of user.registered and user.deleted, keyed by user id. */
export const UsersTopic = 'civildiy.users'

/**
 * Topic of the auth service's audit events (the kit's `audit.recorded`: logins,
 * refresh-token reuse, role changes, suspensions), keyed by subject.
 */
export const AuthAuditTopic = 'civildiy.auth.audit'

/** A user account was created (auth). */
export const UserRegistered = defineEvent(
  'user.registered',
  1,
  t.Object({
    userId: t.String({ format: 'uuid' }),
    email: t.String(),
    registeredAt: t.String({ format: 'date-time' }),
  }),
)

/**
 * An account was deleted (auth): the last step of the deletion saga, after every
 * participant erased the user's data. The email may register again from now on.
 */
export const UserDeleted = defineEvent(
  'user.deleted',
  1,
  t.Object({
    userId: t.String({ format: 'uuid' }),
    deletedAt: t.String({ format: 'date-time' }),
  }),
)
