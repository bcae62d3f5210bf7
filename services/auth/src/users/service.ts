/**
 * Accounts: registration (argon2id hash; `user.registered` written to the outbox in
 * the same transaction), login (throttled per account; refused for a suspended
 * account; every success and failure an audit entry), and lookup. Emails are
 * unique case-insensitively.
 */
import { createHash } from 'node:crypto'
import {
  AppError,
  ConflictError,
  createEvent,
  enqueueEvents,
  NotFoundError,
  UnauthorizedError,
} from '@civildiy/kit'
import type { Sql } from 'postgres'
import { type AuditWrite, enqueueAudit } from '../audit/record.ts'
import { UserRegistered, UsersTopic } from '../events.ts'
import { accountKey, type LoginThrottle } from '../login-throttle/login-throttle.ts'
import type { Credentials, User } from './model.ts'
import type { PasswordHasher } from './password-hasher.ts'

export interface UserService {
  /** @throws ConflictError (409) when the email is taken. */
  register(c: Credentials): Promise<User>
  /**
   * @throws UnauthorizedError (401), the same for an unknown email and a wrong password;
   *   AppError 403 `account_suspended` for a suspended account (only with the right password);
   *   AppError 429 `too_many_failed_logins` with Retry-After while the account is throttled;
   *   AppError 503 `overloaded` when the password hasher's queue is full.
   */
  authenticate(c: Credentials): Promise<User>
  /** @throws NotFoundError (404). */
  byId(id: string): Promise<User>
  /**
   * Checks a signed-in user's password before a sensitive action (deleting the
   * account), under the same per-account throttle as logins, so a stolen access
   * token cannot be used to guess the password.
   * @throws UnauthorizedError (401) for a wrong password; AppError 429 while the account is throttled.
   */
  confirmPassword(userId: string, password: string): Promise<void>
}

export interface UserServiceDeps {
  sql: Sql
  /** CloudEvents `source` of events this service emits. */
  source: string
  /** Called after a commit that enqueued events (wakes the outbox relay). */
  committed: () => void
  clock: () => Date
  hasher: PasswordHasher
  throttle: LoginThrottle
}

interface UserRow {
  id: string
  email: string
  password_hash: string
  created_at: Date
  roles: string[]
  suspended_at: Date | null
  /** An account deletion of this user is erasing: the account is as good as gone. */
  erasing?: boolean
}

const view = (r: Pick<UserRow, 'id' | 'email' | 'created_at' | 'roles'>): User => ({
  id: r.id,
  email: r.email,
  createdAt: r.created_at.toISOString(),
  roles: ['user', ...r.roles],
})

/** An audit subject for an email without storing the address: `email:` and 16 hex of its SHA-256. */
export function emailSubject(email: string): string {
  return `email:${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 16)}`
}

/** 403 for a suspended account. */
export function suspended(): AppError {
  return new AppError(403, 'account_suspended', 'This account is suspended')
}

function throttled(blockedForMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(blockedForMs / 1000))
  return new AppError(
    429,
    'too_many_failed_logins',
    `Too many failed logins for this account; retry in ${seconds} s`,
    { headers: { 'retry-after': String(seconds) } },
  )
}

export function createUserService(d: UserServiceDeps): UserService {
  // A real hash to verify against when the email is unknown, so both failures take as long.
  let decoyHash: Promise<string> | undefined
  const decoy = () => {
    decoyHash ??= d.hasher.hash('decoy password that matches nothing')
    return decoyHash
  }
  const audit = async (entry: AuditWrite) => {
    await d.sql.begin((tx) => enqueueAudit(tx, entry))
    d.committed()
  }
  return {
    async register({ email, password }) {
      const id = Bun.randomUUIDv7()
      const passwordHash = await d.hasher.hash(password)
      const now = d.clock()
      try {
        const user = await d.sql.begin(async (tx) => {
          const [row] = await tx<
            UserRow[]
          >`insert into users (id, email, password_hash, created_at) values (${id}, ${email}, ${passwordHash}, ${now}) returning id, email, created_at, roles`
          const event = createEvent(UserRegistered, {
            source: d.source,
            subject: id,
            data: { userId: id, email, registeredAt: now.toISOString() },
          })
          await enqueueEvents(tx, [{ topic: UsersTopic, key: id, event }])
          return view(row!)
        })
        d.committed()
        return user
      } catch (err) {
        if ((err as { code?: string }).code === '23505')
          throw new ConflictError('An account with this email already exists', 'email_taken')
        throw err
      }
    },
    async authenticate({ email, password }) {
      const account = accountKey(email)
      const blockedForMs = await d.throttle.blockedForMs(account)
      if (blockedForMs > 0) throw throttled(blockedForMs)
      const [row] = await d.sql<UserRow[]>`
        select id, email, password_hash, created_at, roles, suspended_at,
          exists (select 1 from account_deletions a where a.user_id = users.id and a.state = 'erasing') as erasing
        from users where lower(email) = lower(${email})`
      const ok = await d.hasher.verify(password, row?.password_hash ?? (await decoy()))
      const refusal =
        !row || !ok ? null : row.erasing ? 'being deleted' : row.suspended_at ? 'suspended' : null
      const outcome = !row || !ok ? 'failed' : refusal ? 'refused' : 'succeeded'
      await audit({
        action: `login.${outcome}`,
        actorId: outcome === 'failed' ? null : row!.id,
        subject: row ? `user:${row.id}` : emailSubject(email),
        reason: outcome === 'failed' ? (row ? 'wrong password' : 'unknown email') : refusal,
      })
      if (outcome === 'failed') {
        await d.throttle.failed(account)
        throw new UnauthorizedError('Invalid email or password')
      }
      await d.throttle.succeeded(account)
      if (refusal === 'being deleted')
        throw new AppError(403, 'account_deleted', 'This account is being deleted')
      if (refusal) throw suspended()
      return view(row!)
    },
    async confirmPassword(userId, password) {
      const [row] = await d.sql<Pick<UserRow, 'email' | 'password_hash'>[]>`
        select email, password_hash from users where id = ${userId}`
      if (!row) throw new UnauthorizedError('The account no longer exists')
      const account = accountKey(row.email)
      const blockedForMs = await d.throttle.blockedForMs(account)
      if (blockedForMs > 0) throw throttled(blockedForMs)
      if (await d.hasher.verify(password, row.password_hash)) return
      await d.throttle.failed(account)
      await audit({
        action: 'password.confirm_failed',
        actorId: userId,
        subject: `user:${userId}`,
        reason: 'wrong password',
      })
      throw new UnauthorizedError('The password is wrong')
    },
    async byId(id) {
      const [row] = await d.sql<
        UserRow[]
      >`select id, email, created_at, roles from users where id = ${id}`
      if (!row) throw new NotFoundError('user')
      return view(row)
    },
  }
}
