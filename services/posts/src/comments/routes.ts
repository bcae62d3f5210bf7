/** HTTP routes of a post's comments: `/posts/:id/comments`. */
import { type JwtVerifier, requireAuth } from '@civildiy/kit'
import { Elysia, t } from 'elysia'
import { PostIdParams } from '../posts/model.ts'
import { Comment, CommentInput, CommentListQuery, CommentPage, CommentParams } from './model.ts'
import type { CommentService } from './service.ts'

export function commentRoutes(d: { comments: CommentService; verify: JwtVerifier }) {
  const tags = ['comments']
  return new Elysia({ name: 'comment-routes' }).group('/posts/:id/comments', (app) =>
    app
      .get(
        '/',
        ({ params, query }) =>
          d.comments.list(params.id, { cursor: query.cursor, limit: query.limit ?? 20 }),
        {
          params: PostIdParams,
          query: CommentListQuery,
          response: { 200: CommentPage },
          detail: { summary: "A post's comments, oldest first", tags },
        },
      )
      .use(requireAuth(d.verify))
      .post(
        '/',
        async ({ auth, params, body, set }) => {
          const comment = await d.comments.create(params.id, auth.userId, body.body)
          set.status = 201
          set.headers.location = `/posts/${params.id}/comments/${comment.id}`
          return comment
        },
        {
          params: PostIdParams,
          body: CommentInput,
          response: { 201: Comment },
          detail: { summary: 'Comment on a post', tags },
        },
      )
      .patch(
        '/:commentId',
        ({ auth, params, body }) =>
          d.comments.update(params.id, params.commentId, auth.userId, body.body),
        {
          params: CommentParams,
          body: CommentInput,
          response: { 200: Comment },
          detail: { summary: 'Edit your comment', tags },
        },
      )
      .delete(
        '/:commentId',
        async ({ auth, params, set }) => {
          await d.comments.remove(params.id, params.commentId, auth.userId)
          set.status = 204
        },
        {
          params: CommentParams,
          response: { 204: t.Void() },
          detail: { summary: 'Delete your comment', tags },
        },
      ),
  )
}
