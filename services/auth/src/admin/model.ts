/** Shapes of the admin endpoints: roles, suspension, bootstrap, the deny list. */
import { t } from 'elysia'

/** The roles an admin can grant; every account is a `user` anyway. */
export const GrantableRole = t.Union([t.Literal('moderator'), t.Literal('admin')])

export const UserIdParams = t.Object({
  id: t.String({ format: 'uuid', error: 'must be a user id' }),
})

export const RolesBody = t.Object(
  { roles: t.Array(GrantableRole, { maxItems: 2, uniqueItems: true }) },
  { additionalProperties: false, examples: [{ roles: ['moderator'] }] },
)

export const UserRoles = t.Object({
  id: t.String({ format: 'uuid' }),
  /** Effective at the user's next token refresh. */
  roles: t.Array(t.String()),
})
export type UserRoles = typeof UserRoles.static

export const SuspensionBody = t.Object(
  { reason: t.String({ minLength: 3, maxLength: 500 }) },
  { additionalProperties: false, examples: [{ reason: 'spam, reported three times' }] },
)

export const Suspension = t.Object({
  id: t.String({ format: 'uuid' }),
  suspendedAt: t.String({ format: 'date-time' }),
  reason: t.String(),
})
export type Suspension = typeof Suspension.static

export const BootstrapBody = t.Object(
  { token: t.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false, examples: [{ token: 'the AUTH_ADMIN_BOOTSTRAP_TOKEN' }] },
)

/** Users whose access tokens the gateway refuses, whatever their signature says. */
export const DeniedUsers = t.Object({
  users: t.Array(t.String({ format: 'uuid' })),
})
export type DeniedUsers = typeof DeniedUsers.static
