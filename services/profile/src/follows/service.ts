/**
 * The follow graph: follow and unfollow (idempotent; an event only when something
 * changed, written to the outbox in the same transaction), and followers/following
 * lists with keyset cursors (newest first, stable under concurrent inserts).
 */
import {
  BadRequestError,
  createEvent,
  enqueueEvents,
  NotFoundError,
  ValidationError,
} from '@civildiy/kit'
import type { Sql } from 'postgres'
import { FollowsTopic, UserFollowed, UserUnfollowed } from '../events.ts'
import type { FollowPage } from './model.ts'

export interface FollowService {
  /** @throws ValidationError (422) for following yourself; NotFoundError (404) when either profile is missing. */
  follow(followerId: string, followeeId: string): Promise<{ changed: boolean }>
  unfollow(followerId: string, followeeId: string): Promise<{ changed: boolean }>
  /** @throws NotFoundError for an unknown user; BadRequestError (400) for a malformed cursor. */
  list(
    userId: string,
    direction: 'followers' | 'following',
    limit: number,
    cursor?: string,
  ): Promise<FollowPage>
}

export interface FollowDeps {
  sql: Sql
  source: string
  committed: () => void
  clock: () => Date
}

function encodeCursor(since: Date, userId: string): string {
  return Buffer.from(JSON.stringify([since.toISOString(), userId])).toString('base64url')
}

const CURSOR_MIN_MS = Date.UTC(1970, 0, 1)
const CURSOR_MAX_MS = Date.UTC(9999, 11, 31)

function decodeCursor(cursor: string): [Date, string] {
  try {
    const [since, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string]
    const date = new Date(since)
    const ms = date.getTime()
    // Dates a cursor can hold: what the service wrote (PostgreSQL refuses years past 294276).
    if (!(ms >= CURSOR_MIN_MS && ms <= CURSOR_MAX_MS)) throw new Error('out of range')
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad')
    return [date, id]
  } catch {
    throw new BadRequestError(
      'The cursor is malformed; pass back the nextCursor of a previous page',
      [{ field: '/cursor', message: 'malformed cursor' }],
    )
  }
}

export function createFollowService(d: FollowDeps): FollowService {
  const exists = async (userId: string) =>
    (await d.sql`select 1 from profiles where user_id = ${userId}`).length > 0
  return {
    async follow(followerId, followeeId) {
      if (followerId === followeeId)
        throw new ValidationError(
          [{ field: '/id', message: 'you cannot follow yourself' }],
          'You cannot follow yourself',
        )
      if (!(await exists(followeeId))) throw new NotFoundError('user to follow')
      if (!(await exists(followerId))) throw new NotFoundError('your profile')
      const now = d.clock()
      const changed = await d.sql.begin(async (tx) => {
        const [row] =
          await tx`insert into follows (follower_id, followee_id, created_at) values (${followerId}, ${followeeId}, ${now}) on conflict do nothing returning follower_id`
        if (!row) return false
        const event = createEvent(UserFollowed, {
          source: d.source,
          subject: followerId,
          data: { followerId, followeeId, followedAt: now.toISOString() },
        })
        await enqueueEvents(tx, [{ topic: FollowsTopic, key: followerId, event }])
        return true
      })
      if (changed) d.committed()
      return { changed }
    },
    async unfollow(followerId, followeeId) {
      const now = d.clock()
      const changed = await d.sql.begin(async (tx) => {
        const [row] =
          await tx`delete from follows where follower_id = ${followerId} and followee_id = ${followeeId} returning follower_id`
        if (!row) return false
        const event = createEvent(UserUnfollowed, {
          source: d.source,
          subject: followerId,
          data: { followerId, followeeId, unfollowedAt: now.toISOString() },
        })
        await enqueueEvents(tx, [{ topic: FollowsTopic, key: followerId, event }])
        return true
      })
      if (changed) d.committed()
      return { changed }
    },
    async list(userId, direction, limit, cursor) {
      if (!(await exists(userId))) throw new NotFoundError('user')
      const [since, after] = cursor ? decodeCursor(cursor) : [null, null]
      const mine = direction === 'followers' ? d.sql`followee_id` : d.sql`follower_id`
      const other = direction === 'followers' ? d.sql`follower_id` : d.sql`followee_id`
      const rows = await d.sql<{ user_id: string; created_at: Date }[]>`
        select ${other} as user_id, created_at from follows
        where ${mine} = ${userId} ${since ? d.sql`and (created_at, ${other}) < (${since}, ${after})` : d.sql``}
        order by created_at desc, ${other} desc limit ${limit + 1}`
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map((r) => ({ userId: r.user_id, since: r.created_at.toISOString() })),
        nextCursor:
          rows.length > limit && last ? encodeCursor(last.created_at, last.user_id) : null,
      }
    },
  }
}
