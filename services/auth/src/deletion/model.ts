/** Shapes of the account-deletion endpoints and the saga's stored steps. */
import { t } from 'elysia'

export const DeletionRequest = t.Object(
  {
    password: t.String({ minLength: 1, maxLength: 1024 }),
    /** Skip the grace period: erasure starts at once and cannot be cancelled. */
    immediately: t.Optional(t.Boolean()),
  },
  { additionalProperties: false, examples: [{ password: 'correct horse battery' }] },
)
export type DeletionRequest = typeof DeletionRequest.static

/** One step of the saga: a participant's erasure, or the final removal of the account. */
export const DeletionStep = t.Object({
  name: t.String(),
  state: t.Union([t.Literal('pending'), t.Literal('done')]),
  attempts: t.Integer({ minimum: 0 }),
  lastError: t.Union([t.String(), t.Null()]),
  doneAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  /** What the participant erased, by kind. */
  erased: t.Record(t.String(), t.Integer()),
})
export type DeletionStep = typeof DeletionStep.static

export const DeletionState = t.Union([
  t.Literal('scheduled'),
  t.Literal('erasing'),
  t.Literal('completed'),
  t.Literal('cancelled'),
])
export type DeletionState = typeof DeletionState.static

export const Deletion = t.Object({
  id: t.String({ format: 'uuid' }),
  userId: t.String({ format: 'uuid' }),
  /** scheduled (grace period, cancellable) → erasing → completed; or cancelled. */
  state: DeletionState,
  requestedAt: t.String({ format: 'date-time' }),
  graceUntil: t.String({ format: 'date-time' }),
  completedAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  steps: t.Array(DeletionStep),
  /** Where its progress can be read without a token (the account stops working once erasure starts). */
  statusUrl: t.String(),
})
export type Deletion = typeof Deletion.static

export const DeletionIdParams = t.Object({
  id: t.String({ format: 'uuid', error: 'must be a deletion id' }),
})
