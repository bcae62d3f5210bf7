/**
 * The privileged and account-level part of the stack's API, through the gateway
 * on Eden Treaty clients: becoming the first admin with the bootstrap token,
 * refreshing a session (roles reach tokens at refresh), granting roles,
 * suspending, moderating, reading the audit trail, and deleting an account and
 * following its saga. Non-success answers are ApiErrors.
 */
import type { AuthApp } from '@civildiy/auth/client'
import type { PostsApp } from '@civildiy/posts/client'
import { treaty } from '@elysiajs/eden'
import { expectStatus, type Session, waitingFetch } from './stack-client.ts'

/** One audit entry as `GET /auth/audit` lists it. */
export interface AuditEntry {
  action: string
  actorId: string | null
  subject: string
  reason: string | null
  requestId: string
  traceId: string
}

/** An account deletion's progress, as `GET /auth/deletions/:id` shows it. */
export interface DeletionStatus {
  id: string
  state: 'scheduled' | 'erasing' | 'completed' | 'cancelled'
  steps: { name: string; state: 'pending' | 'done'; attempts: number; lastError: string | null }[]
}

export interface AdminClient {
  /** Asks for the deletion of `session`'s account, without a grace period. */
  deleteAccount(session: Session, password: string): Promise<DeletionStatus>
  /** A deletion's progress, by id (no token: the account stops working during erasure). */
  deletion(id: string): Promise<DeletionStatus>
  /** A new session for the same user, its token carrying the user's current roles. */
  refresh(session: Session): Promise<Session>
  /** Makes `session`'s user an admin (then refresh). */
  bootstrap(session: Session, bootstrapToken: string): Promise<void>
  setRoles(admin: Session, userId: string, roles: ('moderator' | 'admin')[]): Promise<void>
  suspend(admin: Session, userId: string, reason: string): Promise<void>
  unsuspend(admin: Session, userId: string): Promise<void>
  moderatePost(
    moderator: Session,
    postId: string,
    action: 'hide' | 'remove',
    reason: string,
  ): Promise<void>
  /** The newest audit entries matching the filters. */
  audit(admin: Session, query: { subject?: string; action?: string }): Promise<AuditEntry[]>
}

/** @example const admin = adminClient('http://127.0.0.1:8080'); await admin.bootstrap(me, token) */
export function adminClient(base: string): AdminClient {
  const config = { fetcher: waitingFetch(30_000) }
  const auth = treaty<AuthApp>(base, config)
  const posts = treaty<PostsApp>(base, config)
  const headers = (s: Session) => ({ headers: { authorization: `Bearer ${s.token}` } })
  return {
    async deleteAccount(session, password) {
      const answer = await auth.auth.me.delete({ password, immediately: true }, headers(session))
      return expectStatus('delete account', answer, [202])
    },
    async deletion(id) {
      return expectStatus('account deletion', await auth.auth.deletions({ id }).get())
    },
    async refresh(session) {
      if (!session.refreshToken) throw new Error(`${session.email} has no refresh token`)
      const tokens = expectStatus(
        'refresh',
        await auth.auth.refresh.post({ refreshToken: session.refreshToken }),
      )
      return { ...session, token: tokens.accessToken, refreshToken: tokens.refreshToken }
    },
    async bootstrap(session, token) {
      expectStatus(
        'admin bootstrap',
        await auth.auth.admin.bootstrap.post({ token }, headers(session)),
      )
    },
    async setRoles(admin, userId, roles) {
      expectStatus(
        'set roles',
        await auth.auth.users({ id: userId }).roles.put({ roles }, headers(admin)),
      )
    },
    async suspend(admin, userId, reason) {
      expectStatus(
        'suspend',
        await auth.auth.users({ id: userId }).suspension.put({ reason }, headers(admin)),
      )
    },
    async unsuspend(admin, userId) {
      expectStatus(
        'lift suspension',
        await auth.auth.users({ id: userId }).suspension.delete(undefined, headers(admin)),
        [204],
      )
    },
    async moderatePost(moderator, postId, action, reason) {
      expectStatus(
        'moderate post',
        await posts.posts({ id: postId }).moderation.post({ action, reason }, headers(moderator)),
      )
    },
    async audit(admin, query) {
      return expectStatus('audit', await auth.auth.audit.get({ query, ...headers(admin) })).items
    },
  }
}
