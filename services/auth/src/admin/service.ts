/**
 * What admins do to accounts: grant and take roles, suspend and lift a suspension;
 * the first admin comes from AUTH_ADMIN_BOOTSTRAP_TOKEN. Every action, and every
 * refused bootstrap, is an audit entry written in the action's own transaction.
 * Roles travel in access tokens, so a change takes effect at the user's next
 * refresh; a suspension also revokes the user's refresh tokens and puts the user
 * on the deny list the gateway polls.
 */
import { timingSafeEqual } from 'node:crypto'
import { AppError, ForbiddenError, NotFoundError } from '@civildiy/kit'
import type { Sql, TransactionSql } from 'postgres'
import { enqueueAudit } from '../audit/record.ts'
import type { Suspension, UserRoles } from './model.ts'

export interface AdminService {
  /**
   * Grants the caller `admin` when `token` is the configured bootstrap token.
   * @throws AppError 404 `bootstrap_disabled` when none is configured; ForbiddenError (403) for a wrong token.
   */
  bootstrap(actorId: string, token: string): Promise<UserRoles>
  /**
   * Sets the user's extra roles (`moderator`, `admin`).
   * @throws NotFoundError; ForbiddenError when admins change their own roles (another admin must).
   */
  setRoles(actorId: string, userId: string, roles: string[]): Promise<UserRoles>
  /** @throws NotFoundError; ForbiddenError for suspending yourself. */
  suspend(actorId: string, userId: string, reason: string): Promise<Suspension>
  /** Idempotent. @throws NotFoundError. */
  unsuspend(actorId: string, userId: string): Promise<void>
  /** Ids of suspended users: the gateway refuses their access tokens. */
  deniedUsers(): Promise<string[]>
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** @example const admin = createAdminService({ sql, clock, committed, bootstrapToken: config.AUTH_ADMIN_BOOTSTRAP_TOKEN }) */
export function createAdminService(d: {
  sql: Sql
  clock: () => Date
  committed: () => void
  bootstrapToken?: string
}): AdminService {
  const audited = async <T>(work: (tx: TransactionSql) => Promise<T>): Promise<T> => {
    const result = (await d.sql.begin(work)) as T
    d.committed()
    return result
  }
  const changeRoles = (actorId: string, userId: string, roles: string[], action: string) =>
    audited(async (tx) => {
      const [before] = await tx<{ roles: string[] }[]>`
        select roles from users where id = ${userId} for update`
      if (!before) throw new NotFoundError('user')
      const after = [...new Set(roles)].sort()
      await tx`update users set roles = ${after} where id = ${userId}`
      await enqueueAudit(tx, {
        action,
        actorId,
        subject: `user:${userId}`,
        reason: null,
        details: { before: before.roles, after },
      })
      return { id: userId, roles: ['user', ...after] }
    })
  return {
    async bootstrap(actorId, token) {
      if (!d.bootstrapToken)
        throw new AppError(404, 'bootstrap_disabled', 'Admin bootstrap is not enabled here')
      if (!sameSecret(token, d.bootstrapToken)) {
        await audited((tx) =>
          enqueueAudit(tx, {
            action: 'admin.bootstrap_refused',
            actorId,
            subject: `user:${actorId}`,
            reason: 'wrong bootstrap token',
          }),
        )
        throw new ForbiddenError('That is not the bootstrap token')
      }
      const [row] = await d.sql<
        { roles: string[] }[]
      >`select roles from users where id = ${actorId}`
      if (!row) throw new NotFoundError('user')
      return changeRoles(actorId, actorId, [...row.roles, 'admin'], 'admin.bootstrapped')
    },
    async setRoles(actorId, userId, roles) {
      if (actorId === userId)
        throw new ForbiddenError('Admins cannot change their own roles; another admin must')
      return changeRoles(actorId, userId, roles, 'role.changed')
    },
    async suspend(actorId, userId, reason) {
      if (actorId === userId) throw new ForbiddenError('Admins cannot suspend themselves')
      const at = d.clock()
      return audited(async (tx) => {
        const [row] = await tx<{ suspended_at: Date; suspension_reason: string }[]>`
          update users set suspended_at = coalesce(suspended_at, ${at}), suspension_reason = ${reason}
          where id = ${userId} returning suspended_at, suspension_reason`
        if (!row) throw new NotFoundError('user')
        await tx`update refresh_tokens set revoked_at = ${at} where user_id = ${userId} and revoked_at is null`
        await enqueueAudit(tx, {
          action: 'user.suspended',
          actorId,
          subject: `user:${userId}`,
          reason,
        })
        return {
          id: userId,
          suspendedAt: row.suspended_at.toISOString(),
          reason: row.suspension_reason,
        }
      })
    },
    async unsuspend(actorId, userId) {
      await audited(async (tx) => {
        const [row] = await tx<{ was: Date | null }[]>`
          update users u set suspended_at = null, suspension_reason = null
          from (select id, suspended_at as was from users where id = ${userId} for update) old
          where u.id = old.id returning old.was`
        if (!row) throw new NotFoundError('user')
        if (row.was)
          await enqueueAudit(tx, {
            action: 'user.unsuspended',
            actorId,
            subject: `user:${userId}`,
            reason: null,
          })
      })
    },
    async deniedUsers() {
      const rows = await d.sql<{ id: string }[]>`
        select id from users where suspended_at is not null order by id`
      return rows.map((r) => r.id)
    },
  }
}
