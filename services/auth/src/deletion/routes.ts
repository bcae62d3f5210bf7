/**
 * Account deletion over HTTP: ask (`DELETE /auth/me` with the password), follow
 * (`GET /auth/me/deletion`, or without a token at the `statusUrl` it answers:
 * the account's tokens stop working once erasure starts) and cancel within the
 * grace period (`DELETE /auth/me/deletion`).
 */
import { type JwtVerifier, requireAuth } from '@civildiy/kit'
import { Elysia } from 'elysia'
import { Deletion, DeletionIdParams, DeletionRequest } from './model.ts'
import type { DeletionService } from './service.ts'

const tags = ['account deletion']

export function deletionRoutes(d: {
  deletions: DeletionService
  verify: JwtVerifier
  /** Hears each request, so an immediate deletion starts without waiting for the next round. */
  requested?: () => void
}) {
  const status = new Elysia({ name: 'deletion-status' }).get(
    '/auth/deletions/:id',
    ({ params }) => d.deletions.byId(params.id),
    {
      params: DeletionIdParams,
      response: { 200: Deletion },
      detail: {
        summary: "An account deletion's progress, by its id (the statusUrl: no token needed)",
        tags,
      },
    },
  )
  const own = new Elysia({ name: 'deletion-routes' })
    .use(requireAuth(d.verify))
    .delete(
      '/auth/me',
      async ({ auth, body, set }) => {
        const deletion = await d.deletions.request(
          auth.userId,
          body.password,
          body.immediately ?? false,
        )
        d.requested?.()
        set.status = 202
        set.headers.location = deletion.statusUrl
        return deletion
      },
      {
        body: DeletionRequest,
        response: { 202: Deletion },
        detail: {
          summary:
            'Delete your account: everything of yours in every service, after the grace period (cancellable until then)',
          tags,
        },
      },
    )
    .get('/auth/me/deletion', ({ auth }) => d.deletions.ofUser(auth.userId), {
      response: { 200: Deletion },
      detail: { summary: "Your account deletion's progress", tags },
    })
    .delete('/auth/me/deletion', ({ auth }) => d.deletions.cancel(auth.userId), {
      response: { 200: Deletion },
      detail: { summary: 'Cancel your account deletion within its grace period', tags },
    })
  return new Elysia({ name: 'deletion' }).use(status).use(own)
}
