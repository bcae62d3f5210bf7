/**
 * Account deletion, the requests and what they look like: a user asks with their
 * password; the deletion waits out the grace period (AUTH_DELETION_GRACE_SEC,
 * or none when asked `immediately`), during which the user may cancel it (the
 * compensation: the account is exactly as before, since nothing was erased yet);
 * then the saga (saga.ts) erases. While a deletion is open the account row stays,
 * so its email cannot register again until the saga completes.
 */
import { AppError, ConflictError, NotFoundError } from '@civildiy/kit'
import type { Sql } from 'postgres'
import { enqueueAudit } from '../audit/record.ts'
import type { Deletion, DeletionState, DeletionStep } from './model.ts'

export interface DeletionService {
  /**
   * @throws UnauthorizedError (401) for a wrong password, AppError 429 while the account's logins are throttled
   *   (see UserService.confirmPassword); ConflictError (409) when a deletion is already open.
   */
  request(userId: string, password: string, immediately: boolean): Promise<Deletion>
  /**
   * The compensation: ends a scheduled deletion, the account untouched.
   * @throws NotFoundError when none is open; AppError 409 `erasure_started` once erasure began.
   */
  cancel(userId: string): Promise<Deletion>
  /** The user's latest deletion. @throws NotFoundError. */
  ofUser(userId: string): Promise<Deletion>
  /** A deletion by id. @throws NotFoundError. */
  byId(id: string): Promise<Deletion>
  /** Users whose tokens must stop working: erasing, or completed within the last `withinSec`. */
  deniedUsers(withinSec: number): Promise<string[]>
}

/** A row of account_deletions. */
export interface DeletionRow {
  id: string
  user_id: string
  state: DeletionState
  requested_at: Date
  grace_until: Date
  steps: DeletionStep[]
  next_attempt_at: Date
  completed_at: Date | null
}

export const deletionView = (r: DeletionRow): Deletion => ({
  id: r.id,
  userId: r.user_id,
  state: r.state,
  requestedAt: r.requested_at.toISOString(),
  graceUntil: r.grace_until.toISOString(),
  completedAt: r.completed_at?.toISOString() ?? null,
  steps: r.steps,
  statusUrl: `/auth/deletions/${r.id}`,
})

const pending = (name: string): DeletionStep => ({
  name,
  state: 'pending',
  attempts: 0,
  lastError: null,
  doneAt: null,
  erased: {},
})

/** @example const deletions = createDeletionService({ sql, confirmPassword: users.confirmPassword, clock, committed, graceSec: 86_400, participants: ['profile', 'posts'] }) */
export function createDeletionService(d: {
  sql: Sql
  /** Throws unless `password` is the user's (throttled like logins). */
  confirmPassword: (userId: string, password: string) => Promise<void>
  clock: () => Date
  committed: () => void
  graceSec: number
  /** The services that erase (saga steps, in order); the account's own removal comes last. */
  participants: readonly string[]
}): DeletionService {
  const one = async (where: ReturnType<Sql>) => {
    const [row] = await d.sql<DeletionRow[]>`
      select * from account_deletions where ${where} order by requested_at desc limit 1`
    if (!row) throw new NotFoundError('account deletion')
    return deletionView(row)
  }
  return {
    async request(userId, password, immediately) {
      await d.confirmPassword(userId, password)
      const now = d.clock()
      const grace = new Date(now.getTime() + (immediately ? 0 : d.graceSec * 1000))
      const steps = [...d.participants, 'account'].map(pending)
      try {
        const row = await d.sql.begin(async (tx) => {
          const [row] = await tx<DeletionRow[]>`
            insert into account_deletions (id, user_id, state, requested_at, grace_until, steps, next_attempt_at)
            values (${crypto.randomUUID()}, ${userId}, 'scheduled', ${now}, ${grace}, ${tx.json(steps as never)}, ${grace})
            returning *`
          await enqueueAudit(tx, {
            action: 'account.deletion_requested',
            actorId: userId,
            subject: `user:${userId}`,
            reason: null,
            details: { graceUntil: grace.toISOString() },
          })
          return row!
        })
        d.committed()
        return deletionView(row)
      } catch (err) {
        if ((err as { code?: string }).code === '23505')
          throw new ConflictError('A deletion of this account is already open', 'deletion_open')
        throw err
      }
    },
    async cancel(userId) {
      const row = await d.sql.begin(async (tx) => {
        const [open] = await tx<DeletionRow[]>`
          select * from account_deletions where user_id = ${userId} and state in ('scheduled', 'erasing') for update`
        if (!open) throw new NotFoundError('open account deletion')
        if (open.state === 'erasing')
          throw new AppError(409, 'erasure_started', 'Erasure has started; it cannot be cancelled')
        const [row] = await tx<DeletionRow[]>`
          update account_deletions set state = 'cancelled', cancelled_at = ${d.clock()} where id = ${open.id} returning *`
        await enqueueAudit(tx, {
          action: 'account.deletion_cancelled',
          actorId: userId,
          subject: `user:${userId}`,
          reason: null,
        })
        return row!
      })
      d.committed()
      return deletionView(row)
    },
    ofUser: (userId) => one(d.sql`user_id = ${userId}`),
    byId: (id) => one(d.sql`id = ${id}`),
    async deniedUsers(withinSec) {
      const since = new Date(d.clock().getTime() - withinSec * 1000)
      const rows = await d.sql<{ user_id: string }[]>`
        select distinct user_id from account_deletions
        where state = 'erasing' or (state = 'completed' and completed_at > ${since})`
      return rows.map((r) => r.user_id)
    },
  }
}
