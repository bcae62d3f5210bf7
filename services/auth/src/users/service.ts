/**
 * Accounts: registration (argon2id hash; `user.registered` written to the outbox in
 * the same transaction), login, and lookup. Emails are unique case-insensitively.
 */
import {
  ConflictError,
  createEvent,
  enqueueEvents,
  NotFoundError,
  Topics,
  UnauthorizedError,
  UserRegistered,
} from '@civildiy/kit'
import type { Sql } from 'postgres'
import type { Credentials, User } from './model.ts'

export interface UserService {
  /** @throws ConflictError (409) when the email is taken. */
  register(c: Credentials): Promise<User>
  /** @throws UnauthorizedError (401), the same for an unknown email and a wrong password. */
  authenticate(c: Credentials): Promise<User>
  /** @throws NotFoundError (404). */
  byId(id: string): Promise<User>
}

export interface UserServiceDeps {
  sql: Sql
  /** CloudEvents `source` of events this service emits. */
  source: string
  /** Called after a commit that enqueued events (wakes the outbox relay). */
  committed: () => void
  clock: () => Date
}

interface UserRow {
  id: string
  email: string
  password_hash: string
  created_at: Date
}

const view = (r: Pick<UserRow, 'id' | 'email' | 'created_at'>): User => ({
  id: r.id,
  email: r.email,
  createdAt: r.created_at.toISOString(),
})

/** A real argon2id hash to verify against when the email is unknown, so both failures take as long. */
const decoyHash = Bun.password.hash('decoy password that matches nothing', {
  algorithm: 'argon2id',
})

export function createUserService(d: UserServiceDeps): UserService {
  return {
    async register({ email, password }) {
      const id = Bun.randomUUIDv7()
      const passwordHash = await Bun.password.hash(password, { algorithm: 'argon2id' })
      const now = d.clock()
      try {
        const user = await d.sql.begin(async (tx) => {
          const [row] = await tx<
            UserRow[]
          >`insert into users (id, email, password_hash, created_at) values (${id}, ${email}, ${passwordHash}, ${now}) returning id, email, created_at`
          const event = createEvent(UserRegistered, {
            source: d.source,
            subject: id,
            data: { userId: id, email, registeredAt: now.toISOString() },
          })
          await enqueueEvents(tx, [{ topic: Topics.users, key: id, event }])
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
      const [row] = await d.sql<
        UserRow[]
      >`select id, email, password_hash, created_at from users where lower(email) = lower(${email})`
      const ok = await Bun.password.verify(password, row?.password_hash ?? (await decoyHash))
      if (!row || !ok) throw new UnauthorizedError('Invalid email or password')
      return view(row)
    },
    async byId(id) {
      const [row] = await d.sql<UserRow[]>`select id, email, created_at from users where id = ${id}`
      if (!row) throw new NotFoundError('user')
      return view(row)
    },
  }
}
