/** HTTP routes of the posts service. */
import { BadRequestError, type JwtVerifier, requireAuth } from '@civildiy/kit'
import { Elysia, t } from 'elysia'
import { ListQuery, Post, PostIdParams, PostInput, PostPage } from './model.ts'
import type { PostService } from './service.ts'

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/

export function postRoutes(d: { posts: PostService; verify: JwtVerifier }) {
  const tags = ['posts']
  return new Elysia({ name: 'post-routes' }).group('/posts', (app) =>
    app
      .get(
        '/',
        ({ query }) =>
          d.posts.list({ author: query.author, cursor: query.cursor, limit: query.limit ?? 20 }),
        {
          query: ListQuery,
          response: { 200: PostPage },
          detail: { summary: 'Posts, newest first, optionally by one author', tags },
        },
      )
      .get('/:id', ({ params }) => d.posts.get(params.id), {
        params: PostIdParams,
        response: { 200: Post },
        detail: { summary: 'A post', tags },
      })
      .use(requireAuth(d.verify))
      .post(
        '/',
        async ({ auth, body, headers, set }) => {
          const key = headers['idempotency-key']
          if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
            throw new BadRequestError('Idempotency-Key must be 1 to 200 visible ASCII characters', [
              { field: '/headers/idempotency-key', message: 'invalid' },
            ])
          const { post, created } = await d.posts.create(auth.userId, body.body, key)
          set.status = created ? 201 : 200
          set.headers.location = `/posts/${post.id}`
          return post
        },
        {
          body: PostInput,
          response: { 200: Post, 201: Post },
          detail: { summary: 'Write a post (send Idempotency-Key to make retries safe)', tags },
        },
      )
      .patch(
        '/:id',
        ({ auth, params, body }) => d.posts.update(params.id, auth.userId, body.body),
        {
          params: PostIdParams,
          body: PostInput,
          response: { 200: Post },
          detail: { summary: 'Edit your post', tags },
        },
      )
      .delete(
        '/:id',
        async ({ auth, params, set }) => {
          await d.posts.remove(params.id, auth.userId)
          set.status = 204
        },
        {
          params: PostIdParams,
          response: { 204: t.Void() },
          detail: { summary: 'Delete your post', tags },
        },
      )
      .put('/:id/like', ({ auth, params }) => d.posts.like(params.id, auth.userId, true), {
        params: PostIdParams,
        response: { 200: Post },
        detail: { summary: 'Like (idempotent)', tags },
      })
      .delete('/:id/like', ({ auth, params }) => d.posts.like(params.id, auth.userId, false), {
        params: PostIdParams,
        response: { 200: Post },
        detail: { summary: 'Take back a like (idempotent)', tags },
      }),
  )
}
