/**
 * The profile service's part of the account-deletion saga: the user's profile
 * and every follow in both directions go, each follow with its user.unfollowed
 * (so the feed unmerges timelines), in one transaction that also leaves a
 * tombstone, so a replayed user.registered cannot bring the profile back.
 * Idempotent: a second run finds nothing and erases nothing.
 */
import { createEvent, enqueueEvents } from '@civildiy/kit'
import type { Sql } from 'postgres'
import { FollowsTopic, UserUnfollowed } from './events.ts'

/** @example app.use(erasureRoute(verify, (userId) => eraseUser({ sql, source, committed, clock }, userId))) */
export async function eraseUser(
  d: { sql: Sql; source: string; committed: () => void; clock: () => Date },
  userId: string,
): Promise<Record<string, number>> {
  const now = d.clock()
  const counts = await d.sql.begin(async (tx) => {
    await tx`insert into erased_users (user_id, erased_at) values (${userId}, ${now}) on conflict do nothing`
    const follows = await tx<{ follower_id: string; followee_id: string }[]>`
      delete from follows where follower_id = ${userId} or followee_id = ${userId}
      returning follower_id, followee_id`
    await enqueueEvents(
      tx,
      follows.map((f) => ({
        topic: FollowsTopic,
        key: f.follower_id,
        event: createEvent(UserUnfollowed, {
          source: d.source,
          subject: f.follower_id,
          data: {
            followerId: f.follower_id,
            followeeId: f.followee_id,
            unfollowedAt: now.toISOString(),
          },
        }),
      })),
    )
    const profiles = await tx`delete from profiles where user_id = ${userId} returning user_id`
    return { follows: follows.length, profiles: profiles.length }
  })
  if (counts.follows) d.committed()
  return counts
}
