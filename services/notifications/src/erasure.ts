/**
 * The notifications service's part of the account-deletion saga: the user's
 * inbox and counter, and every notification the user caused in others' inboxes
 * (follows, likes, comments), go in one transaction that leaves a tombstone
 * (`user:<id>`), so a late or redelivered event about them adds nothing.
 * Idempotent.
 */
import type { Sql } from 'postgres'

/** @example erasureRoute(verify, (userId) => eraseUser(sql, userId)) */
export async function eraseUser(sql: Sql, userId: string): Promise<Record<string, number>> {
  return sql.begin(async (tx) => {
    await tx`
      insert into notification_tombstones (subject, at) values (${`user:${userId}`}, now())
      on conflict do nothing`
    const inbox = await tx`delete from notifications where user_id = ${userId} returning seq`
    const caused = await tx`delete from notifications where actor_id = ${userId} returning seq`
    await tx`delete from notification_counters where user_id = ${userId}`
    return { inbox: inbox.length, caused: caused.length }
  })
}
