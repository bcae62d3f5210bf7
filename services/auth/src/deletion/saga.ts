/**
 * The account-deletion saga, orchestrated here. Orchestration rather than
 * choreography: one place holds the saga's state (what `GET /auth/deletions/:id`
 * shows), decides when the point of no return is passed, and retries; the
 * participants stay one idempotent endpoint each and need to know nothing of
 * each other. Each round, for every due deletion:
 *
 * 1. `scheduled` past its grace period → `erasing`: the account's refresh tokens
 *    are revoked and its access tokens go on the gateway's deny list, so the user
 *    can write nothing new anywhere (from here there is no compensation). The
 *    erasures start 2 s later, once the gateway's deny list has caught up.
 * 2. Every participant step still pending is called (`DELETE /internal/users/:id`
 *    with an erasure token); a step that fails stays pending and is retried with
 *    backoff (0.5 s doubling to 10 s), so a participant that is down holds the
 *    saga until it is back, and a step that succeeded is never called again.
 * 3. Once every participant is done: the account row is deleted and
 *    `user.deleted` published in one transaction, the saga `completed`, an audit
 *    entry written. The email can register again.
 *
 * Several auth instances may run this: a round claims a deletion by moving its
 * `next_attempt_at` forward (a lease), so two never work on one at once.
 */
import { createEvent, enqueueEvents, type Logger } from '@civildiy/kit'
import type { Sql, TransactionSql } from 'postgres'
import { enqueueAudit } from '../audit/record.ts'
import { AUTH_SOURCE, UserDeleted, UsersTopic } from '../events.ts'
import type { DeletionStep } from './model.ts'
import type { DeletionRow } from './service.ts'

/** A service that erases a user's data. @throws when it did not (the step is retried). */
export interface Participant {
  name: string
  erase(userId: string): Promise<Record<string, number>>
}

/**
 * Ms between the point of no return and the first erasure: the gateway polls its
 * deny list every second (DENY_LIST_POLL_MS), so by then the user's tokens are
 * refused and no new write of theirs can land behind an erasure.
 */
const SETTLE_MS = 2_000
/** How long a round may work on one deletion before another instance may take it, ms. */
const LEASE_MS = 60_000
const backoffMs = (attempts: number) => Math.min(10_000, 500 * 2 ** Math.max(0, attempts - 1))

export interface DeletionSaga {
  /** Runs one round now; resolves to the deletions it advanced. */
  runOnce(): Promise<number>
  /** Asks for a round as soon as possible (a deletion was requested immediately). */
  kick(): void
  stop(): Promise<void>
}

/** @example const saga = startDeletionSaga({ sql, participants, clock, committed, logger, pollMs: 1000 }) */
export function startDeletionSaga(o: {
  sql: Sql
  participants: readonly Participant[]
  clock: () => Date
  committed: () => void
  logger: Logger
  pollMs: number
}): DeletionSaga {
  const advance = async (row: DeletionRow) => {
    if (row.state === 'scheduled') {
      await startErasing(o, row)
      // Erase after the gateway's deny list has caught up and writes in flight have landed.
      const at = new Date(o.clock().getTime() + SETTLE_MS)
      await o.sql`update account_deletions set next_attempt_at = ${at} where id = ${row.id}`
      return
    }
    const steps = row.steps.map((s) => ({ ...s }))
    for (const step of steps.filter((s) => s.state === 'pending' && s.name !== 'account'))
      await runStep(o, row.user_id, step)
    const waiting = steps.filter((s) => s.state === 'pending' && s.name !== 'account')
    if (waiting.length === 0) return finish(o, row, steps)
    const retryAt = new Date(
      o.clock().getTime() + backoffMs(Math.max(...waiting.map((s) => s.attempts))),
    )
    await o.sql`update account_deletions set steps = ${o.sql.json(steps as never)}, next_attempt_at = ${retryAt} where id = ${row.id}`
  }
  const runOnce = async () => {
    const now = o.clock()
    const due = await o.sql<DeletionRow[]>`
      select * from account_deletions
      where state in ('scheduled', 'erasing') and next_attempt_at <= ${now}
      order by next_attempt_at limit 10`
    let advanced = 0
    for (const candidate of due) {
      const [row] = await o.sql<DeletionRow[]>`
        update account_deletions set next_attempt_at = ${new Date(now.getTime() + LEASE_MS)}
        where id = ${candidate.id} and next_attempt_at = ${candidate.next_attempt_at} returning *`
      if (!row) continue
      try {
        await advance(row)
        advanced++
      } catch (err) {
        // The lease runs out and the next round tries again.
        o.logger.warn({ err, deletion: row.id }, 'account deletion round failed')
      }
    }
    return advanced
  }
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<unknown> = Promise.resolve()
  const loop = () => {
    running = runOnce()
      .catch((err) => o.logger.warn({ err }, 'account deletion saga could not run'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, o.pollMs)
      })
  }
  timer = setTimeout(loop, o.pollMs)
  return {
    runOnce,
    kick() {
      if (stopped) return
      clearTimeout(timer)
      timer = setTimeout(loop, 0)
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}

type SagaDeps = Parameters<typeof startDeletionSaga>[0]

/** The point of no return: no more sessions, tokens denied at the gateway. */
async function startErasing(o: SagaDeps, row: DeletionRow) {
  const now = o.clock()
  await o.sql.begin(async (tx) => {
    await tx`update account_deletions set state = 'erasing' where id = ${row.id}`
    await tx`update refresh_tokens set revoked_at = ${now} where user_id = ${row.user_id} and revoked_at is null`
    await enqueueAudit(tx, {
      action: 'account.erasure_started',
      actorId: null,
      subject: `user:${row.user_id}`,
      reason: null,
      details: { deletion: row.id },
    })
  })
  o.committed()
}

async function runStep(o: SagaDeps, userId: string, step: DeletionStep) {
  const participant = o.participants.find((p) => p.name === step.name)
  step.attempts++
  try {
    if (!participant) throw new Error(`${step.name} is not a configured participant`)
    step.erased = await participant.erase(userId)
    step.state = 'done'
    step.doneAt = o.clock().toISOString()
    step.lastError = null
  } catch (err) {
    step.lastError = (err as Error).message
    o.logger.info(
      { userId, step: step.name, attempts: step.attempts, err },
      'erasure step will be retried',
    )
  }
}

/** The last step: the account itself, and `user.deleted`. */
async function finish(o: SagaDeps, row: DeletionRow, steps: DeletionStep[]) {
  const now = o.clock()
  const account = steps.find((s) => s.name === 'account')!
  await o.sql.begin(async (tx: TransactionSql) => {
    const removed = await tx`delete from users where id = ${row.user_id} returning id`
    Object.assign(account, {
      state: 'done',
      attempts: account.attempts + 1,
      doneAt: now.toISOString(),
      erased: { users: removed.length },
    })
    await tx`
      update account_deletions set state = 'completed', completed_at = ${now}, steps = ${tx.json(steps as never)}
      where id = ${row.id}`
    const event = createEvent(UserDeleted, {
      source: AUTH_SOURCE,
      subject: row.user_id,
      data: { userId: row.user_id, deletedAt: now.toISOString() },
    })
    await enqueueEvents(tx, [{ topic: UsersTopic, key: row.user_id, event }])
    await enqueueAudit(tx, {
      action: 'account.deleted',
      actorId: null,
      subject: `user:${row.user_id}`,
      reason: null,
      details: {
        deletion: row.id,
        steps: steps.map((s) => ({ name: s.name, attempts: s.attempts, erased: s.erased })),
      },
    })
  })
  o.committed()
}
