/** Request and response shapes of the user endpoints. */
import { t } from 'elysia'

export const Credentials = t.Object(
  {
    email: t.String({ format: 'email', maxLength: 254, error: 'must be an email address' }),
    password: t.String({ minLength: 10, maxLength: 1024, error: 'must be 10 to 1024 characters' }),
  },
  { examples: [{ email: 'ada@example.com', password: 'correct horse battery' }] },
)
export type Credentials = typeof Credentials.static

export const User = t.Object({
  id: t.String({ format: 'uuid' }),
  email: t.String(),
  createdAt: t.String({ format: 'date-time' }),
  /** `user`, and `moderator` or `admin` where granted; access tokens carry them as the `roles` claim. */
  roles: t.Array(t.String()),
})
export type User = typeof User.static
