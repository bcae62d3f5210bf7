/** HTTP routes of the auth service. */
import { type JwtVerifier, requireAuth } from '@civildiy/kit'
import { Elysia, t } from 'elysia'
import type { JSONWebKeySet } from 'jose'
import { RefreshRequest, TokenPair } from '../tokens/model.ts'
import type { TokenService } from '../tokens/service.ts'
import { Credentials, User } from './model.ts'
import type { UserService } from './service.ts'

export interface AuthRouteDeps {
  users: UserService
  tokens: TokenService
  verify: JwtVerifier
  jwks: JSONWebKeySet
}

export function authRoutes(d: AuthRouteDeps) {
  return new Elysia({ name: 'auth-routes' })
    .get('/.well-known/jwks.json', ({ set }) => {
      set.headers['cache-control'] = 'public, max-age=300'
      return d.jwks
    })
    .group('/auth', (app) =>
      app
        .post(
          '/register',
          async ({ body, set }) => {
            const user = await d.users.register(body)
            set.status = 201
            return user
          },
          {
            body: Credentials,
            response: { 201: User },
            detail: { summary: 'Create an account', tags: ['auth'] },
          },
        )
        .post(
          '/login',
          async ({ body }) => {
            const user = await d.users.authenticate(body)
            return d.tokens.issue(user)
          },
          {
            body: Credentials,
            response: { 200: TokenPair },
            detail: { summary: 'Exchange email and password for tokens', tags: ['auth'] },
          },
        )
        .post('/refresh', ({ body }) => d.tokens.refresh(body.refreshToken), {
          body: RefreshRequest,
          response: { 200: TokenPair },
          detail: { summary: 'Rotate a refresh token', tags: ['auth'] },
        })
        .post(
          '/logout',
          async ({ body, set }) => {
            await d.tokens.revoke(body.refreshToken)
            set.status = 204
          },
          {
            body: RefreshRequest,
            response: { 204: t.Void() },
            detail: { summary: "Revoke a refresh token's session", tags: ['auth'] },
          },
        )
        .use(requireAuth(d.verify))
        .get('/me', ({ auth }) => d.users.byId(auth.userId), {
          response: { 200: User },
          detail: { summary: 'The caller', tags: ['auth'] },
        }),
    )
}
