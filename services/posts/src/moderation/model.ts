/** Shapes of the moderation endpoints. */
import { t } from 'elysia'

export const ModerationInput = t.Object(
  {
    /** `hide`: kept for appeal, gone from every read; `remove`: the body is erased too. */
    action: t.Union([t.Literal('hide'), t.Literal('remove')]),
    reason: t.String({ minLength: 3, maxLength: 500 }),
  },
  {
    additionalProperties: false,
    examples: [{ action: 'hide', reason: 'harassment, reported twice' }],
  },
)
export type ModerationInput = typeof ModerationInput.static

export const Moderation = t.Object({
  /** `post:<id>` or `comment:<id>`. */
  subject: t.String(),
  action: t.Union([t.Literal('hide'), t.Literal('remove')]),
  reason: t.String(),
  moderatorId: t.String({ format: 'uuid' }),
  at: t.String({ format: 'date-time' }),
})
export type Moderation = typeof Moderation.static
