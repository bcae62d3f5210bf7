/**
 * Comments: written on a live post, listed oldest first (a conversation reads
 * forward), edited and deleted by their author only. Each comment is its own
 * document, changed by one conditional update on its `version` that also appends
 * the event describing the change (the same outbox-on-document pattern as posts).
 */
import {
  auditEvent,
  BadRequestError,
  type CloudEvent,
  ConflictError,
  createEvent,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '@civildiy/kit'
import type { Collection, Filter } from 'mongodb'
import { CommentCreated, CommentDeleted, CommentUpdated } from '../events.ts'
import { type ModerationRecord, outboxEntries, outboxEntry, type PostDoc } from '../posts/model.ts'
import {
  COMMENT_MAX,
  COMMENT_MIN,
  type Comment,
  type CommentDoc,
  type CommentPage,
} from './model.ts'

export interface CommentService {
  /** @throws NotFoundError (404) when the post does not exist; ValidationError (422) for the body. */
  create(postId: string, authorId: string, body: string): Promise<Comment>
  /** @throws NotFoundError for a missing post; BadRequestError (400) for a malformed cursor. */
  list(postId: string, o: { cursor?: string; limit: number }): Promise<CommentPage>
  /** @throws NotFoundError, ForbiddenError (403) for anyone but the author, ValidationError. */
  update(postId: string, commentId: string, userId: string, body: string): Promise<Comment>
  /** @throws NotFoundError, ForbiddenError. */
  remove(postId: string, commentId: string, userId: string): Promise<void>
  /**
   * A moderator hides (kept, gone from every read) or removes (body erased) a
   * comment; it leaves its post's count on its comment.deleted, with an audit event.
   * @throws NotFoundError.
   */
  moderate(
    postId: string,
    commentId: string,
    moderatorId: string,
    action: 'hide' | 'remove',
    reason: string,
  ): Promise<ModerationRecord>
}

const view = (d: CommentDoc): Comment => ({
  id: d._id,
  postId: d.postId,
  authorId: d.authorId,
  body: d.body,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
  version: d.version,
})

function cleanBody(raw: string): string {
  const body = raw.trim()
  if (body.length < COMMENT_MIN || body.length > COMMENT_MAX)
    throw new ValidationError([
      {
        field: '/body',
        message: `must be ${COMMENT_MIN} to ${COMMENT_MAX.toLocaleString('en-US')} characters after trimming`,
      },
    ])
  return body
}

const encodeCursor = (d: CommentDoc) =>
  Buffer.from(JSON.stringify([d.createdAt.toISOString(), d._id])).toString('base64url')

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string]
    const createdAt = new Date(at)
    if (Number.isNaN(createdAt.getTime()) || typeof id !== 'string') throw new Error('bad')
    return { createdAt, id }
  } catch {
    throw new BadRequestError(
      'The cursor is malformed; pass back the nextCursor of a previous page',
      [{ field: '/cursor', message: 'malformed cursor' }],
    )
  }
}

const live = { deletedAt: { $exists: false }, hiddenAt: { $exists: false } } as const
const HIDDEN = { outbox: 0, outboxPending: 0 } as const

/** Indexes created at start (one `createIndexes` command): a post's comments in order, the relay's queue. */
export async function ensureCommentIndexes(comments: Collection<CommentDoc>): Promise<void> {
  await comments.createIndexes([
    { key: { postId: 1, createdAt: 1, _id: 1 }, name: 'post_thread' },
    { key: { outboxPending: 1 }, name: 'outbox_pending', sparse: true },
  ])
}

/** @example const comments = createCommentService({ comments, posts, source: '/civildiy/posts', committed, clock }) */
export function createCommentService(d: {
  comments: Collection<CommentDoc>
  posts: Collection<PostDoc>
  source: string
  committed: () => void
  clock: () => Date
  /** @throws when the user may not write (an erased account). */
  writable?: (userId: string) => Promise<void>
}): CommentService {
  const livePost = async (postId: string) => {
    const post = await d.posts.findOne(
      { _id: postId, ...live },
      { projection: { _id: 1, authorId: 1 } },
    )
    if (!post) throw new NotFoundError('post')
    return post
  }
  /** Applies `change` to the comment's current version, retrying on a concurrent change. */
  const mutate = async (
    postId: string,
    commentId: string,
    userId: string | { moderatorId: string },
    change: (
      doc: CommentDoc,
      version: number,
      now: Date,
    ) => { set: Partial<CommentDoc>; event: CloudEvent; audit?: CloudEvent } | null,
  ): Promise<CommentDoc> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const doc = await d.comments.findOne({ _id: commentId, postId, ...live })
      if (!doc) throw new NotFoundError('comment')
      if (typeof userId === 'string' && doc.authorId !== userId)
        throw new ForbiddenError('Only its author can change a comment')
      const now = d.clock()
      const result = change(doc, doc.version + 1, now)
      if (!result) return doc
      const updated = await d.comments.findOneAndUpdate(
        { _id: commentId, version: doc.version, ...live },
        {
          $set: { ...result.set, version: doc.version + 1, outboxPending: true },
          $push: { outbox: { $each: outboxEntries(result) } },
        },
        { returnDocument: 'after' },
      )
      if (updated) {
        d.committed()
        return updated
      }
    }
    throw new ConflictError('The comment is changing too fast; try again', 'concurrent_update')
  }
  const ref = (doc: CommentDoc, version: number) => ({
    commentId: doc._id,
    postId: doc.postId,
    postAuthorId: doc.postAuthorId,
    authorId: doc.authorId,
    version,
  })

  return {
    async create(postId, authorId, raw) {
      const body = cleanBody(raw)
      await d.writable?.(authorId)
      const post = await livePost(postId)
      const now = d.clock()
      const id = Bun.randomUUIDv7()
      const doc: CommentDoc = {
        _id: id,
        postId,
        postAuthorId: post.authorId,
        authorId,
        body,
        createdAt: now,
        updatedAt: now,
        version: 1,
        outbox: [],
        outboxPending: true,
      }
      const event = createEvent(CommentCreated, {
        source: d.source,
        subject: id,
        data: { ...ref(doc, 1), body, createdAt: now.toISOString() },
      })
      doc.outbox.push(outboxEntry(event))
      await d.comments.insertOne(doc)
      d.committed()
      return view(doc)
    },
    async list(postId, { cursor, limit }) {
      await livePost(postId)
      const filter: Filter<CommentDoc> = { postId, ...live }
      if (cursor) {
        const c = decodeCursor(cursor)
        filter.$or = [
          { createdAt: { $gt: c.createdAt } },
          { createdAt: c.createdAt, _id: { $gt: c.id } },
        ]
      }
      const docs = await d.comments
        .find(filter, { projection: HIDDEN })
        .sort({ createdAt: 1, _id: 1 })
        .limit(limit + 1)
        .toArray()
      const page = docs.slice(0, limit)
      return {
        items: page.map(view),
        nextCursor: docs.length > limit ? encodeCursor(page.at(-1)!) : null,
      }
    },
    async update(postId, commentId, userId, raw) {
      const body = cleanBody(raw)
      const doc = await mutate(postId, commentId, userId, (doc, version, now) =>
        doc.body === body
          ? null
          : {
              set: { body, updatedAt: now },
              event: createEvent(CommentUpdated, {
                source: d.source,
                subject: commentId,
                data: { ...ref(doc, version), body, updatedAt: now.toISOString() },
              }),
            },
      )
      return view(doc)
    },
    async remove(postId, commentId, userId) {
      await mutate(postId, commentId, userId, (doc, version, now) => ({
        set: { deletedAt: now, updatedAt: now },
        event: createEvent(CommentDeleted, {
          source: d.source,
          subject: commentId,
          data: { ...ref(doc, version), deletedAt: now.toISOString() },
        }),
      }))
    },
    async moderate(postId, commentId, moderatorId, action, reason) {
      const doc = await mutate(postId, commentId, { moderatorId }, (doc, version, now) => ({
        set: {
          ...(action === 'hide' ? { hiddenAt: now } : { deletedAt: now, body: '' }),
          moderation: { action, reason, moderatorId, at: now },
          updatedAt: now,
        },
        event: createEvent(CommentDeleted, {
          source: d.source,
          subject: commentId,
          data: { ...ref(doc, version), deletedAt: now.toISOString() },
        }),
        audit: auditEvent(d.source, {
          action: action === 'hide' ? 'comment.hidden' : 'comment.removed',
          actorId: moderatorId,
          subject: `comment:${commentId}`,
          reason,
          details: { postId, authorId: doc.authorId },
          at: now,
        }),
      }))
      return doc.moderation!
    },
  }
}
