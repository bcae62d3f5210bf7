/** Request and response shapes of the token endpoints. */
import { JsonInteger } from '@civildiy/kit'
import { t } from 'elysia'

export const TokenPair = t.Object({
  accessToken: t.String(),
  tokenType: t.Literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: JsonInteger(),
  refreshToken: t.String(),
})
export type TokenPair = typeof TokenPair.static

export const RefreshRequest = t.Object(
  { refreshToken: t.String({ minLength: 16, maxLength: 512 }) },
  { examples: [{ refreshToken: 'the refreshToken from POST /auth/login' }] },
)
export type RefreshRequest = typeof RefreshRequest.static
