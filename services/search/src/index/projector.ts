/**
 * Projects the post events into the search index. Every event carries the post's
 * version: a row changes only for a newer one, so redelivered, duplicated and
 * out-of-order events end in the same state (the idempotency key is the version,
 * not the event id). A delete leaves a tombstone that an older create or update
 * cannot undo.
 */
import { type CloudEvent, type EventHandler, eventData } from '@civildiy/kit'
import { PostCreated, PostDeleted, PostUpdated } from '@civildiy/posts/events'
import type { Sql } from 'postgres'

export interface SearchProjector {
  /** Handlers by event type, for the consumer; likes are not indexed. */
  handlers: Record<string, EventHandler>
}

interface Change {
  postId: string
  authorId: string
  version: number
  body: string | null
  at: string
  createdAt: string | null
}

/**
 * @param language the text search configuration new rows are indexed with.
 * @example ctx.events({ consumer: { groupId, topics: [PostsTopic], handlers: createSearchProjector(sql, 'english').handlers } })
 */
export function createSearchProjector(sql: Sql, language: string): SearchProjector {
  const upsert = async (c: Change) => {
    // PostgreSQL text cannot hold NUL, which a post body may: without this such a
    // post would fail every attempt and go to the dead-letter topic, never indexed.
    const body = c.body === null ? null : c.body.replaceAll('\0', '')
    await sql.begin(async (tx) => {
      await tx`
        insert into search_posts (post_id, author_id, version, body, deleted, language, created_at, updated_at)
        values (${c.postId}, ${c.authorId}, ${c.version}, ${body}, ${body === null},
          ${language}::regconfig, ${c.createdAt}, ${c.at})
        on conflict (post_id) do update set
          version = excluded.version, body = excluded.body, deleted = excluded.deleted,
          language = excluded.language, updated_at = excluded.updated_at
        where search_posts.version < excluded.version`
      // A create that arrives after a newer change still contributes its time.
      if (c.createdAt)
        await tx`update search_posts set created_at = ${c.createdAt}
          where post_id = ${c.postId} and created_at is null`
    })
  }
  const on = (apply: (event: CloudEvent) => Change): EventHandler => {
    return async (event) => upsert(apply(event))
  }
  return {
    handlers: {
      [PostCreated.type]: on((e) => {
        const d = eventData(PostCreated, e)
        return { ...d, at: d.createdAt, createdAt: d.createdAt }
      }),
      [PostUpdated.type]: on((e) => {
        const d = eventData(PostUpdated, e)
        return { ...d, at: d.updatedAt, createdAt: null }
      }),
      [PostDeleted.type]: on((e) => {
        const d = eventData(PostDeleted, e)
        return { ...d, body: null, at: d.deletedAt, createdAt: null }
      }),
    },
  }
}
