/**
 * Account erasure, the participant's side of the account-deletion saga the auth
 * service orchestrates: each service that holds a user's data serves
 * `DELETE /internal/users/:id`, which erases everything of that user it holds
 * and answers what it erased. The call carries an erasure token: a JWT the auth
 * service signs with its usual key, `typ: erasure+jwt`, audience
 * `civildiy-erasure`, subject the user, living a minute, so no access token and
 * no other service can ask for an erasure. The route is not routed by the
 * gateway. Erasure must be idempotent: the saga retries a step until it answers
 * 2xx, so a step may run again after it already erased everything.
 */
import { Elysia, t } from 'elysia'
import { ForbiddenError, UnauthorizedError } from './errors.ts'
import { bearerToken, type JwtVerifier, tokenRequiredHooks } from './jwt.ts'

/** The `typ` header of erasure tokens (never accepted as an access token, and the reverse). */
export const ERASURE_TOKEN_TYPE = 'erasure+jwt'
/** The `aud` claim of erasure tokens. */
export const ERASURE_AUDIENCE = 'civildiy-erasure'

/** What a participant erased, by kind (`posts: 3`, `follows: 12`, ...). */
export const ErasureReport = t.Object({
  userId: t.String({ format: 'uuid' }),
  erased: t.Record(t.String(), t.Integer({ minimum: 0 })),
})
export type ErasureReport = typeof ErasureReport.static

/**
 * `DELETE /internal/users/:id` for a participant of the deletion saga.
 * @param erase erases everything of the user; idempotent; returns counts by kind.
 * @example app.use(erasureRoute(ctx.erasureVerifier(), (userId) => eraseUser(sql, userId)))
 */
export function erasureRoute(
  verify: JwtVerifier,
  erase: (userId: string) => Promise<Record<string, number>>,
) {
  const resolveErasure = async ({ request }: { request: Request }) => {
    const token = bearerToken(request)
    if (!token) throw new UnauthorizedError()
    return { erasure: await verify(token) }
  }
  tokenRequiredHooks.add(resolveErasure)
  return new Elysia({ name: '@civildiy/kit/erasure-route' })
    .resolve({ as: 'scoped' }, resolveErasure)
    .delete(
      '/internal/users/:id',
      async ({ erasure, params }) => {
        if (erasure.userId !== params.id)
          throw new ForbiddenError('This erasure token is for another user')
        return { userId: params.id, erased: await erase(params.id) }
      },
      {
        params: t.Object({ id: t.String({ format: 'uuid', error: 'must be a user id' }) }),
        response: { 200: ErasureReport },
        detail: {
          summary:
            "Erase everything of a user this service holds (the auth service's account-deletion saga; erasure token)",
          tags: ['internal'],
        },
      },
    )
}
