/**
 * Moderation (`moderator` or `admin` role): hide or remove any post or comment,
 * with a reason. Thin controllers over the post and comment services, which
 * write the change, its post.deleted or comment.deleted, and its audit event in
 * one document update.
 */
import { type JwtVerifier, requireRole } from '@civildiy/kit'
import { Elysia } from 'elysia'
import { CommentParams } from '../comments/model.ts'
import type { CommentService } from '../comments/service.ts'
import { type ModerationRecord, PostIdParams } from '../posts/model.ts'
import type { PostService } from '../posts/service.ts'
import { Moderation, ModerationInput } from './model.ts'

const tags = ['moderation']
const view = (subject: string, r: ModerationRecord): Moderation => ({
  subject,
  action: r.action,
  reason: r.reason,
  moderatorId: r.moderatorId,
  at: r.at.toISOString(),
})

export function moderationRoutes(d: {
  posts: PostService
  comments: CommentService
  verify: JwtVerifier
}) {
  return new Elysia({ name: 'moderation-routes' })
    .use(requireRole(d.verify, 'moderator', 'admin'))
    .post(
      '/posts/:id/moderation',
      async ({ auth, params, body }) =>
        view(
          `post:${params.id}`,
          await d.posts.moderate(params.id, auth.userId, body.action, body.reason),
        ),
      {
        params: PostIdParams,
        body: ModerationInput,
        response: { 200: Moderation },
        detail: { summary: 'Hide or remove any post, with a reason (moderators)', tags },
      },
    )
    .post(
      '/posts/:id/comments/:commentId/moderation',
      async ({ auth, params, body }) =>
        view(
          `comment:${params.commentId}`,
          await d.comments.moderate(
            params.id,
            params.commentId,
            auth.userId,
            body.action,
            body.reason,
          ),
        ),
      {
        params: CommentParams,
        body: ModerationInput,
        response: { 200: Moderation },
        detail: { summary: 'Hide or remove any comment, with a reason (moderators)', tags },
      },
    )
}
