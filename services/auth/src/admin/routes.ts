/**
 * Admin routes (`admin` role): roles and suspensions. `POST /auth/admin/bootstrap`
 * needs only a signed-in user and the bootstrap token. `GET /internal/denied-users`
 * is for the gateway: no route of the gateway leads to it.
 */
import { type JwtVerifier, requireAuth, requireRole } from '@civildiy/kit'
import { Elysia, t } from 'elysia'
import type { DeletionService } from '../deletion/service.ts'
import {
  BootstrapBody,
  DeniedUsers,
  RolesBody,
  Suspension,
  SuspensionBody,
  UserIdParams,
  UserRoles,
} from './model.ts'
import type { AdminService } from './service.ts'

const tags = ['admin']

/** The admin endpoints under /auth. */
export function adminRoutes(d: { admin: AdminService; verify: JwtVerifier }) {
  const bootstrap = new Elysia({ name: 'admin-bootstrap' })
    .use(requireAuth(d.verify))
    .post('/auth/admin/bootstrap', ({ auth, body }) => d.admin.bootstrap(auth.userId, body.token), {
      body: BootstrapBody,
      response: { 200: UserRoles },
      detail: {
        summary:
          'Become an admin with the bootstrap token (AUTH_ADMIN_BOOTSTRAP_TOKEN); effective at your next token refresh',
        tags,
      },
    })
  const admin = new Elysia({ name: 'admin-routes' })
    .use(requireRole(d.verify, 'admin'))
    .put(
      '/auth/users/:id/roles',
      ({ auth, params, body }) => d.admin.setRoles(auth.userId, params.id, body.roles),
      {
        params: UserIdParams,
        body: RolesBody,
        response: { 200: UserRoles },
        detail: {
          summary: "Set a user's roles (effective at their next token refresh)",
          tags,
        },
      },
    )
    .put(
      '/auth/users/:id/suspension',
      ({ auth, params, body }) => d.admin.suspend(auth.userId, params.id, body.reason),
      {
        params: UserIdParams,
        body: SuspensionBody,
        response: { 200: Suspension },
        detail: {
          summary:
            'Suspend a user: logins and refreshes fail, and the gateway refuses their access tokens within seconds',
          tags,
        },
      },
    )
    .delete(
      '/auth/users/:id/suspension',
      async ({ auth, params, set }) => {
        await d.admin.unsuspend(auth.userId, params.id)
        set.status = 204
      },
      {
        params: UserIdParams,
        response: { 204: t.Void() },
        detail: { summary: 'Lift a suspension (idempotent)', tags },
      },
    )
  return new Elysia({ name: 'admin' }).use(bootstrap).use(admin)
}

/**
 * `GET /internal/denied-users`: what the gateway polls for its deny list: suspended
 * users, and users whose account is being (or was, within an access token's
 * lifetime) erased.
 */
export function deniedUsersRoute(d: {
  admin: AdminService
  deletions: DeletionService
  accessTtlSec: number
}) {
  return new Elysia({ name: 'denied-users' }).get(
    '/internal/denied-users',
    async ({ set }) => {
      set.headers['cache-control'] = 'no-store'
      const [suspended, deleted] = await Promise.all([
        d.admin.deniedUsers(),
        d.deletions.deniedUsers(d.accessTtlSec),
      ])
      return { users: [...new Set([...suspended, ...deleted])] }
    },
    {
      response: { 200: DeniedUsers },
      detail: {
        summary:
          'Users whose access tokens the gateway refuses (suspended, or being deleted). Internal: not routed by the gateway',
        tags: ['internal'],
      },
    },
  )
}
