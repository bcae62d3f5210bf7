/**
 * Reading a user's notifications: newest first by `seq`, the unread count, marking
 * read, and the ones after a seq (what the live socket sends and resumes from).
 */
import type { Sql } from 'postgres'
import type { Notification, NotificationPage } from './model.ts'

interface Row {
  seq: string
  kind: Notification['kind']
  actor_id: string
  post_id: string | null
  comment_id: string | null
  created_at: Date
  read_at: Date | null
}

const view = (r: Row): Notification => ({
  seq: Number(r.seq),
  kind: r.kind,
  actorId: r.actor_id,
  postId: r.post_id,
  commentId: r.comment_id,
  createdAt: r.created_at.toISOString(),
  read: r.read_at !== null,
})

export interface NotificationService {
  /** A page newest first; `cursor` is the previous page's nextCursor (a seq). */
  list(userId: string, o: { cursor?: string; limit: number }): Promise<NotificationPage>
  /** Marks read every notification up to `upTo` (all when undefined); the unread count after. */
  markRead(userId: string, upTo?: number): Promise<number>
  /** Up to `limit` notifications after `seq`, oldest first. */
  after(userId: string, seq: number, limit: number): Promise<Notification[]>
  /** The user's newest seq (0 before the first notification). */
  latest(userId: string): Promise<number>
  /** The newest seq of each of `userIds` that has one. */
  latestOf(userIds: string[]): Promise<Map<string, number>>
}

/** @example const notifications = createNotificationService(sql) */
export function createNotificationService(sql: Sql): NotificationService {
  const unread = async (userId: string) =>
    Number(
      (
        await sql<{ n: string }[]>`
          select count(*)::text as n from notifications where user_id = ${userId} and read_at is null`
      )[0]!.n,
    )
  return {
    async list(userId, { cursor, limit }) {
      const before = cursor ? Number(cursor) : Number.MAX_SAFE_INTEGER
      const rows = await sql<Row[]>`
        select seq::text, kind, actor_id, post_id, comment_id, created_at, read_at
        from notifications where user_id = ${userId} and seq < ${before}
        order by seq desc limit ${limit + 1}`
      const page = rows.slice(0, limit).map(view)
      return {
        items: page,
        nextCursor: rows.length > limit ? String(page.at(-1)!.seq) : null,
        unread: await unread(userId),
      }
    },
    async markRead(userId, upTo) {
      await sql`
        update notifications set read_at = now()
        where user_id = ${userId} and read_at is null and seq <= ${upTo ?? Number.MAX_SAFE_INTEGER}`
      return unread(userId)
    },
    async after(userId, seq, limit) {
      const rows = await sql<Row[]>`
        select seq::text, kind, actor_id, post_id, comment_id, created_at, read_at
        from notifications where user_id = ${userId} and seq > ${seq}
        order by seq limit ${limit}`
      return rows.map(view)
    },
    async latest(userId) {
      const [row] = await sql<{ last_seq: string }[]>`
        select last_seq::text from notification_counters where user_id = ${userId}`
      return row ? Number(row.last_seq) : 0
    },
    async latestOf(userIds) {
      if (userIds.length === 0) return new Map()
      const rows = await sql<{ user_id: string; last_seq: string }[]>`
        select user_id, last_seq::text from notification_counters where user_id = any(${sql.array(userIds)}::uuid[])`
      return new Map(rows.map((r) => [r.user_id, Number(r.last_seq)]))
    },
  }
}
