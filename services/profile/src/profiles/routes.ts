/** HTTP routes of the profile service. */
import { type JwtVerifier, requireAuth } from '@civildiy/kit'
import { Elysia, t } from 'elysia'
import { FollowPage, PageQuery } from '../follows/model.ts'
import type { FollowService } from '../follows/service.ts'
import { Profile, ProfilePatch, UserIdParams } from './model.ts'
import type { ProfileService } from './service.ts'

export interface ProfileRouteDeps {
  profiles: ProfileService
  follows: FollowService
  verify: JwtVerifier
}

export function profileRoutes(d: ProfileRouteDeps) {
  const tags = ['profiles']
  return new Elysia({ name: 'profile-routes' }).group('/profiles', (app) =>
    app
      .get('/:id', ({ params }) => d.profiles.get(params.id), {
        params: UserIdParams,
        response: { 200: Profile },
        detail: { summary: 'A profile', tags },
      })
      .get(
        '/:id/followers',
        ({ params, query }) =>
          d.follows.list(params.id, 'followers', query.limit ?? 20, query.cursor),
        {
          params: UserIdParams,
          query: PageQuery,
          response: { 200: FollowPage },
          detail: { summary: 'Who follows this user, newest first', tags },
        },
      )
      .get(
        '/:id/following',
        ({ params, query }) =>
          d.follows.list(params.id, 'following', query.limit ?? 20, query.cursor),
        {
          params: UserIdParams,
          query: PageQuery,
          response: { 200: FollowPage },
          detail: { summary: 'Whom this user follows, newest first', tags },
        },
      )
      .use(requireAuth(d.verify))
      .patch('/me', ({ auth, body }) => d.profiles.update(auth.userId, body), {
        body: ProfilePatch,
        response: { 200: Profile },
        detail: { summary: "Edit the caller's profile", tags },
      })
      .put(
        '/:id/follow',
        async ({ auth, params, set }) => {
          await d.follows.follow(auth.userId, params.id)
          set.status = 204
        },
        {
          params: UserIdParams,
          response: { 204: t.Void() },
          detail: { summary: 'Follow a user (idempotent)', tags },
        },
      )
      .delete(
        '/:id/follow',
        async ({ auth, params, set }) => {
          await d.follows.unfollow(auth.userId, params.id)
          set.status = 204
        },
        {
          params: UserIdParams,
          response: { 204: t.Void() },
          detail: { summary: 'Unfollow a user (idempotent)', tags },
        },
      ),
  )
}
