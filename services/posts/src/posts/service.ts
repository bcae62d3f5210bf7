/**
 * Posts: create (optionally under an Idempotency-Key), read, list newest first,
 * edit and delete by the author only, like and unlike (idempotent per user). Every
 * change is one conditional update of the post document, matched on its current
 * `version` (optimistic concurrency, retried on conflict), that also appends the
 * event describing it, so a change and its event are never separated.
 */
import {
  auditEvent,
  BadRequestError,
  type CloudEvent,
  ConflictError,
  createEvent,
  eventEnvelope,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '@civildiy/kit'
import { type Collection, type Filter, MongoServerError } from 'mongodb'
import { PostCreated, PostDeleted, PostLiked, PostUnliked, PostUpdated } from '../events.ts'
import {
  BODY_MAX,
  BODY_MIN,
  type ModerationRecord,
  outboxEntries,
  outboxEntry,
  type Post,
  type PostDoc,
  type PostPage,
} from './model.ts'

export interface PostService {
  /**
   * @returns the post and whether it was created now (false: an earlier request with the same key made it).
   * @throws ValidationError (422) for an empty or too long body; ConflictError (409) when the key was used for a different body.
   */
  create(
    authorId: string,
    body: string,
    idempotencyKey?: string,
  ): Promise<{ post: Post; created: boolean }>
  /** @throws NotFoundError (404). */
  get(id: string): Promise<Post>
  /** @throws BadRequestError (400) for a malformed cursor. */
  list(o: { author?: string; cursor?: string; limit: number }): Promise<PostPage>
  /** @throws NotFoundError, ForbiddenError (403) for anyone but the author, ValidationError. */
  update(id: string, userId: string, body: string): Promise<Post>
  /** @throws NotFoundError, ForbiddenError. */
  remove(id: string, userId: string): Promise<void>
  /** Idempotent: liking twice changes nothing the second time. @throws NotFoundError. */
  like(id: string, userId: string, liked: boolean): Promise<Post>
  /**
   * A moderator hides (kept for appeal, gone from every read) or removes (body
   * erased) a post; read models drop it on its post.deleted, and an audit event
   * goes out with it. @throws NotFoundError.
   */
  moderate(
    id: string,
    moderatorId: string,
    action: 'hide' | 'remove',
    reason: string,
  ): Promise<ModerationRecord>
}

export interface PostServiceDeps {
  posts: Collection<PostDoc>
  /** @throws when the user may not write (an erased account); called before creating or liking. */
  writable?: (userId: string) => Promise<void>
  source: string
  committed: () => void
  clock: () => Date
}

const view = (d: PostDoc): Post => ({
  id: d._id,
  authorId: d.authorId,
  body: d.body,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
  version: d.version,
  likeCount: d.likeCount,
})

function cleanBody(raw: string): string {
  const body = raw.trim()
  if (body.length < BODY_MIN || body.length > BODY_MAX) {
    throw new ValidationError([
      {
        field: '/body',
        message: `must be ${BODY_MIN} to ${BODY_MAX.toLocaleString('en-US')} characters after trimming`,
      },
    ])
  }
  return body
}

function encodeCursor(d: Pick<PostDoc, 'createdAt' | '_id'>): string {
  return Buffer.from(JSON.stringify([d.createdAt.toISOString(), d._id])).toString('base64url')
}

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

const live: Filter<PostDoc> = { deletedAt: { $exists: false }, hiddenAt: { $exists: false } }
const HIDDEN = { likedBy: 0, outbox: 0, idempotencyKey: 0, outboxPending: 0 } as const

/**
 * Indexes created at start (one `createIndexes` command; existing ones are left
 * as they are): the author timeline, Idempotency-Key uniqueness, the relay's queue.
 */
export async function ensurePostIndexes(posts: Collection<PostDoc>): Promise<void> {
  await posts.createIndexes([
    { key: { authorId: 1, createdAt: -1 }, name: 'author_timeline' },
    { key: { createdAt: -1, _id: -1 }, name: 'timeline' },
    { key: { idempotencyKey: 1 }, name: 'idempotency_key', unique: true, sparse: true },
    { key: { outboxPending: 1 }, name: 'outbox_pending', sparse: true },
  ])
}

export function createPostService(d: PostServiceDeps): PostService {
  const load = async (id: string): Promise<PostDoc> => {
    const doc = await d.posts.findOne({ _id: id, ...live })
    if (!doc) throw new NotFoundError('post')
    return doc
  }

  /**
   * Applies `change` to the current version of a post, retrying when someone else
   * changed it in between. `change` returns the fields to set and the event, or
   * null for a no-op (e.g. a repeated like).
   */
  const mutate = async (
    id: string,
    change: (
      doc: PostDoc,
      next: number,
      now: Date,
    ) => { set: Partial<PostDoc>; event: CloudEvent; audit?: CloudEvent } | null,
  ): Promise<PostDoc> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const doc = await load(id)
      const now = d.clock()
      const result = change(doc, doc.version + 1, now)
      if (!result) return doc
      const updated = await d.posts.findOneAndUpdate(
        { _id: id, version: doc.version, ...live },
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
    throw new ConflictError('The post is changing too fast; try again', 'concurrent_update')
  }

  return {
    async create(authorId, raw, key) {
      const body = cleanBody(raw)
      await d.writable?.(authorId)
      const now = d.clock()
      const id = Bun.randomUUIDv7()
      const event = createEvent(PostCreated, {
        source: d.source,
        subject: id,
        data: { postId: id, authorId, version: 1, body, createdAt: now.toISOString() },
      })
      const doc: PostDoc = {
        _id: id,
        authorId,
        body,
        createdAt: now,
        updatedAt: now,
        version: 1,
        likeCount: 0,
        likedBy: [],
        outbox: [outboxEntry(event)],
        outboxPending: true,
      }
      if (key) doc.idempotencyKey = `${authorId}:${key}`
      try {
        await d.posts.insertOne(doc)
      } catch (err) {
        if (!(err instanceof MongoServerError && err.code === 11000 && key)) throw err
        const first = await d.posts.findOne({ idempotencyKey: `${authorId}:${key}` })
        if (!first)
          throw new ConflictError(
            'This Idempotency-Key belongs to a post that was deleted',
            'idempotency_key_reused',
          )
        if (first.body !== body)
          throw new ConflictError(
            'This Idempotency-Key was already used with a different body',
            'idempotency_key_reused',
          )
        return { post: view(first), created: false }
      }
      d.committed()
      return { post: view(doc), created: true }
    },
    get: async (id) => view(await load(id)),
    async list({ author, cursor, limit }) {
      const filter: Filter<PostDoc> = { ...live }
      if (author) filter.authorId = author
      if (cursor) {
        const c = decodeCursor(cursor)
        filter.$or = [
          { createdAt: { $lt: c.createdAt } },
          { createdAt: c.createdAt, _id: { $lt: c.id } },
        ]
      }
      const docs = await d.posts
        .find(filter, { projection: HIDDEN })
        .sort({ createdAt: -1, _id: -1 })
        .limit(limit + 1)
        .toArray()
      const page = docs.slice(0, limit)
      return {
        items: page.map(view),
        nextCursor: docs.length > limit ? encodeCursor(page.at(-1)!) : null,
      }
    },
    async update(id, userId, raw) {
      const body = cleanBody(raw)
      const doc = await mutate(id, (doc, version, now) => {
        if (doc.authorId !== userId) throw new ForbiddenError('Only the author can edit a post')
        if (doc.body === body) return null
        return {
          set: { body, updatedAt: now },
          event: createEvent(PostUpdated, {
            source: d.source,
            subject: id,
            data: {
              postId: id,
              authorId: doc.authorId,
              version,
              body,
              updatedAt: now.toISOString(),
            },
          }),
        }
      })
      return view(doc)
    },
    async remove(id, userId) {
      await mutate(id, (doc, version, now) => {
        if (doc.authorId !== userId) throw new ForbiddenError('Only the author can delete a post')
        return {
          set: { deletedAt: now, updatedAt: now },
          event: createEvent(PostDeleted, {
            source: d.source,
            subject: id,
            data: { postId: id, authorId: doc.authorId, version, deletedAt: now.toISOString() },
          }),
        }
      })
    },
    async moderate(id, moderatorId, action, reason) {
      const doc = await mutate(id, (doc, version, now) => ({
        set: {
          ...(action === 'hide' ? { hiddenAt: now } : { deletedAt: now, body: '' }),
          moderation: { action, reason, moderatorId, at: now },
          updatedAt: now,
        },
        event: createEvent(PostDeleted, {
          source: d.source,
          subject: id,
          data: { postId: id, authorId: doc.authorId, version, deletedAt: now.toISOString() },
        }),
        audit: auditEvent(d.source, {
          action: action === 'hide' ? 'post.hidden' : 'post.removed',
          actorId: moderatorId,
          subject: `post:${id}`,
          reason,
          details: { authorId: doc.authorId },
          at: now,
        }),
      }))
      return doc.moderation!
    },
    async like(id, userId, liked) {
      if (liked) await d.writable?.(userId)
      // One atomic pipeline update computes the new likeCount and version on the
      // server, so concurrent likes never conflict (no read-then-write race).
      const now = d.clock()
      // The data's version and likeCount are computed by the update itself (see below).
      const event = {
        ...eventEnvelope(liked ? PostLiked : PostUnliked, { source: d.source, subject: id }),
        data: {
          postId: id,
          authorId: '$authorId',
          version: '$version',
          userId,
          likeCount: '$likeCount',
        },
      }
      const updated = await d.posts.findOneAndUpdate(
        { _id: id, ...live, likedBy: liked ? { $ne: userId } : userId },
        [
          {
            $set: {
              likedBy: liked
                ? { $concatArrays: ['$likedBy', [userId]] }
                : { $filter: { input: '$likedBy', cond: { $ne: ['$$this', userId] } } },
              likeCount: { $add: ['$likeCount', liked ? 1 : -1] },
              version: { $add: ['$version', 1] },
              updatedAt: now,
              outboxPending: true,
            },
          },
          { $set: { outbox: { $concatArrays: ['$outbox', [outboxEntry(event)]] } } },
        ],
        { returnDocument: 'after' },
      )
      if (updated) {
        d.committed()
        return view(updated)
      }
      // Nothing matched: the post is missing, or this like/unlike is already in effect.
      return view(await load(id))
    },
  }
}
