/**
 * Turns follow, like and comment events into notifications for the user they
 * concern: the followee, the liked post's author, the commented post's author
 * (never for acting on your own post). Redelivered and duplicated events add
 * nothing (`event_id` is unique); a deleted comment takes its notification back and
 * leaves a tombstone, so its comment.created arriving late, or again, stays out.
 * Unfollows and unlikes are history, not news: they withdraw nothing.
 */
import { type EventHandler, eventData } from '@civildiy/kit'
import { CommentCreated, CommentDeleted, PostLiked } from '@civildiy/posts/events'
import { UserFollowed } from '@civildiy/profile/events'
import type { Sql } from 'postgres'
import type { NotificationKind } from '../notifications/model.ts'

interface NewNotification {
  userId: string
  kind: NotificationKind
  actorId: string
  postId?: string
  commentId?: string
  eventId: string
  at: string
}

export interface NotificationProjector {
  /** Handlers by event type, for the consumer. */
  handlers: Record<string, EventHandler>
}

/**
 * @param notified hears each user who got a new notification (after commit): the live sockets of this instance wake at once.
 * @example ctx.events({ consumer: { groupId: 'notifications', topics, handlers: createNotificationProjector(sql, hub.wake).handlers } })
 */
export function createNotificationProjector(
  sql: Sql,
  notified: (userId: string) => void = () => {},
): NotificationProjector {
  const add = async (n: NewNotification) => {
    if (n.userId === n.actorId) return
    const added = await sql.begin(async (tx) => {
      // A withdrawn comment, or an erased recipient or actor (account deletion), stays out.
      const subjects = [`user:${n.userId}`, `user:${n.actorId}`]
      if (n.commentId) subjects.push(`comment:${n.commentId}`)
      const [gone] = await tx`
        select 1 from notification_tombstones where subject in ${tx(subjects)}`
      if (gone) return false
      const [seen] = await tx`select 1 from notifications where event_id = ${n.eventId}`
      if (seen) return false
      // The counter row's lock is held to commit: seqs of a user commit in order.
      const [counter] = await tx<{ last_seq: string }[]>`
        insert into notification_counters (user_id, last_seq) values (${n.userId}, 1)
        on conflict (user_id) do update set last_seq = notification_counters.last_seq + 1
        returning last_seq::text`
      await tx`
        insert into notifications (user_id, seq, kind, actor_id, post_id, comment_id, event_id, created_at)
        values (${n.userId}, ${counter!.last_seq}, ${n.kind}, ${n.actorId}, ${n.postId ?? null},
          ${n.commentId ?? null}, ${n.eventId}, ${n.at})`
      return true
    })
    if (added) notified(n.userId)
  }
  return {
    handlers: {
      [UserFollowed.type]: async (e) => {
        const d = eventData(UserFollowed, e)
        await add({
          userId: d.followeeId,
          kind: 'follow',
          actorId: d.followerId,
          eventId: e.id,
          at: d.followedAt,
        })
      },
      [PostLiked.type]: async (e) => {
        const d = eventData(PostLiked, e)
        await add({
          userId: d.authorId,
          kind: 'like',
          actorId: d.userId,
          postId: d.postId,
          eventId: e.id,
          at: e.time,
        })
      },
      [CommentCreated.type]: async (e) => {
        const d = eventData(CommentCreated, e)
        await add({
          userId: d.postAuthorId,
          kind: 'comment',
          actorId: d.authorId,
          postId: d.postId,
          commentId: d.commentId,
          eventId: e.id,
          at: d.createdAt,
        })
      },
      [CommentDeleted.type]: async (e) => {
        const d = eventData(CommentDeleted, e)
        await sql.begin(async (tx) => {
          await tx`
            insert into notification_tombstones (subject, at) values (${`comment:${d.commentId}`}, ${d.deletedAt})
            on conflict (subject) do nothing`
          await tx`delete from notifications where comment_id = ${d.commentId}`
        })
      },
    },
  }
}
