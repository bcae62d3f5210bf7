/**
 * Access-token verification against the auth service's JWKS: EdDSA only,
 * `typ: at+jwt` (RFC 9068 §2.1, so no other JWT the issuer signs passes for an
 * access token), `exp`, `nbf`, `iss` and `aud` checked with a small clock
 * tolerance, and `iat` no further in the future than that tolerance, keys cached and
 * refetched when a token names an unknown `kid` (key rotation). The JWKS URL is
 * configured, or found through Consul (the auth service's passing instances).
 * Sources: RFC 7519 (JWT), RFC 7517 (JWK), RFC 8037 (EdDSA in JOSE), RFC 6750 (Bearer),
 * RFC 9068 (JWT profile for OAuth 2.0 access tokens).
 */
import { Elysia } from 'elysia'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import { ConfigError } from './config.ts'
import { consulClient, discoverService } from './consul.ts'
import { AppError, ForbiddenError, UnauthorizedError } from './errors.ts'
import { clientTlsFiles, readClientTls, tlsFetchInit } from './tls-config.ts'

/** The roles an access token can carry in its `roles` claim; every account is a `user`. */
export const ROLES = ['user', 'moderator', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Who a verified token belongs to. */
export interface AuthContext {
  userId: string
  /** From the `roles` claim (unknown names dropped); always includes `user`. */
  roles: readonly Role[]
  claims: JWTPayload
}

/** The roles of a verified payload: its `roles` claim's known names, and `user`. */
export function rolesOf(claims: JWTPayload): Role[] {
  const claimed = Array.isArray(claims.roles) ? claims.roles : []
  return ROLES.filter((r) => r === 'user' || claimed.includes(r))
}

export interface JwtVerifierOptions {
  /**
   * The JWKS URL, a function that finds it (e.g. through Consul) each time keys
   * must be fetched, or a key set held locally (the issuer verifying its own tokens).
   */
  jwks: string | (() => Promise<string>) | JSONWebKeySet
  issuer: string
  audience: string
  /** Seconds of clock skew allowed on exp/nbf. Default 5. */
  clockToleranceSec?: number
  /** The `typ` header tokens must carry. Default `at+jwt` (access tokens); erasure tokens use ERASURE_TOKEN_TYPE. */
  type?: string
  /** The current time (tests move it). Default: the system clock. */
  clock?: () => Date
  /**
   * Minimum ms between JWKS refetches triggered by unknown `kid`s, so random kids
   * cannot flood the auth service. A rotated key is picked up once this has passed
   * since the last fetch. Default 1000.
   */
  jwksCooldownMs?: number
  /**
   * Verified tokens remembered (by their exact string) until they expire, so a
   * client's repeated requests cost one signature check. A key removed from the
   * JWKS stops new tokens at once; tokens already seen stay valid until their `exp`
   * (at most the access-token lifetime). 0 disables. Default 10,000 tokens.
   */
  cacheSize?: number
  /**
   * TLS for fetching an https JWKS (Bun's `fetch` `tls` option): the private CA and
   * this service's client certificate, for an auth service that requires one.
   * Called on each fetch, so renewed files are used.
   */
  fetchTls?: () => { ca?: string; cert?: string; key?: string } | undefined
}

/**
 * Verifies an access token.
 * @throws UnauthorizedError (401 invalid_token) for a token that does not verify;
 *   AppError 503 `keys_unavailable` (Retry-After: 1) when the keys cannot be fetched.
 */
export type JwtVerifier = (token: string) => Promise<AuthContext>

/** The `typ` header of access tokens (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYPE = 'at+jwt'

/** The keys could not be had (JWKS unreachable, failing or malformed; its URL not found): not the token's fault. */
class KeysUnavailable extends Error {}

/**
 * A remote key set whose retrieval failures are {@link KeysUnavailable}. What the
 * token itself causes (a `kid` the set does not hold, an unsupported key) stays a
 * jose error, so it is still a 401.
 */
function reportingFetchFailures(set: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await set(header, token)
    } catch (err) {
      if (
        err instanceof joseErrors.JWKSNoMatchingKey ||
        err instanceof joseErrors.JWKSMultipleMatchingKeys ||
        err instanceof joseErrors.JOSENotSupported
      )
        throw err
      throw new KeysUnavailable((err as Error).message)
    }
  }
}

/**
 * @example
 * const verify = createJwtVerifier({ jwks: 'http://auth:3001/.well-known/jwks.json', issuer: 'civildiy-auth', audience: 'civildiy' })
 * const { userId } = await verify(token)
 */
export function createJwtVerifier(o: JwtVerifierOptions): JwtVerifier {
  const sets = new Map<string, JWTVerifyGetKey>()
  const local = typeof o.jwks === 'object' ? createLocalJWKSet(o.jwks) : null
  const source = o.jwks
  const keySet = async () => {
    if (local) return local
    const url =
      typeof source === 'string'
        ? source
        : await (source as () => Promise<string>)().catch((err: Error) => {
            throw new KeysUnavailable(err.message)
          })
    let set = sets.get(url)
    if (!set) {
      // jose caches keys and refetches on an unknown kid at most once per cooldown.
      const fetchTls = o.fetchTls
      set = reportingFetchFailures(
        createRemoteJWKSet(new URL(url), {
          cooldownDuration: o.jwksCooldownMs ?? 1_000,
          cacheMaxAge: 10 * 60_000,
          timeoutDuration: 2_000,
          ...(fetchTls
            ? {
                [customFetch]: (input: string | URL | Request, init?: RequestInit) => {
                  const pem = fetchTls()
                  return fetch(input, { ...init, ...(pem ? tlsFetchInit(pem) : {}) })
                },
              }
            : {}),
        }),
      )
      sets.set(url, set)
    }
    return set
  }
  const cache = new Map<string, AuthContext>()
  const cacheSize = o.cacheSize ?? 10_000
  const now = () => (o.clock ? o.clock().getTime() : Date.now()) / 1000
  const tolerance = o.clockToleranceSec ?? 5
  const verify = async (token: string): Promise<AuthContext> => {
    try {
      const set = await keySet()
      const { payload } = await jwtVerify(token, set, {
        algorithms: ['EdDSA'],
        issuer: o.issuer,
        audience: o.audience,
        clockTolerance: tolerance,
        currentDate: o.clock?.(),
        requiredClaims: ['sub', 'exp', 'iat'],
        typ: o.type ?? ACCESS_TOKEN_TYPE,
      })
      // jose checks iat only against a maximum age; a token "issued" later than now is forged or from a skewed clock.
      if (payload.iat! > now() + tolerance)
        throw new joseErrors.JWTClaimValidationFailed(
          'iat is in the future',
          payload,
          'iat',
          'check_failed',
        )
      return { userId: payload.sub!, roles: rolesOf(payload), claims: payload }
    } catch (err) {
      if (err instanceof KeysUnavailable)
        throw new AppError(
          503,
          'keys_unavailable',
          'The keys that verify access tokens cannot be fetched right now; retry shortly',
          { headers: { 'retry-after': '1' } },
        )
      if (err instanceof joseErrors.JWTExpired)
        throw new UnauthorizedError('The access token has expired', 'invalid_token')
      if (err instanceof joseErrors.JOSEError)
        throw new UnauthorizedError('The access token is invalid', 'invalid_token')
      throw new UnauthorizedError('The access token could not be verified', 'invalid_token')
    }
  }
  return async (token) => {
    const hit = cache.get(token)
    if (hit && (hit.claims.exp ?? 0) > now()) return hit
    if (hit) cache.delete(token)
    const auth = await verify(token)
    if (cacheSize > 0) {
      // Map iteration order is insertion order: drop the oldest entry when full.
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!)
      cache.set(token, auth)
    }
    return auth
  }
}

/** The bearer token of a request, or null. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization')
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
  return m ? m[1]! : null
}

/**
 * The resolve hooks requireAuth installs: the API document marks the routes that
 * run one as needing a bearer token, so the document follows the code that
 * enforces it.
 */
export const tokenRequiredHooks = new WeakSet<object>()

/**
 * Elysia plugin: every route registered after it requires a valid access token and
 * gets `auth: { userId, claims }`; missing or invalid tokens answer 401 with
 * `WWW-Authenticate`.
 * @example app.use(requireAuth(verify)).patch('/profiles/me', ({ auth }) => ...)
 */
export function requireAuth(verify: JwtVerifier) {
  const resolveAuth = async ({ request }: { request: Request }) => {
    const token = bearerToken(request)
    if (!token) throw new UnauthorizedError()
    return { auth: await verify(token) }
  }
  tokenRequiredHooks.add(resolveAuth)
  return new Elysia({ name: '@civildiy/kit/require-auth' }).resolve({ as: 'scoped' }, resolveAuth)
}

/**
 * Elysia plugin: like requireAuth, and the token must carry one of `roles`; a valid
 * token without one is 403 problem+json (`forbidden`), no token or a bad one 401.
 * Roles come from the token, so a role granted or taken away takes effect at the
 * holder's next token refresh.
 * @example app.use(requireRole(verify, 'moderator', 'admin')).post('/posts/:id/moderation', ...)
 */
export function requireRole(verify: JwtVerifier, ...roles: [Role, ...Role[]]) {
  const resolveRole = async ({ request }: { request: Request }) => {
    const token = bearerToken(request)
    if (!token) throw new UnauthorizedError()
    const auth = await verify(token)
    if (!auth.roles.some((r) => roles.includes(r)))
      throw new ForbiddenError(`This needs the ${roles.join(' or ')} role`)
    return { auth }
  }
  tokenRequiredHooks.add(resolveRole)
  return new Elysia({ name: '@civildiy/kit/require-role', seed: roles.join(',') }).resolve(
    { as: 'scoped' },
    resolveRole,
  )
}

/**
 * The verifier for a service's access-token settings (see AccessTokenConfig): the
 * JWKS from AUTH_JWKS_URL; else from `discover` (the gateway's own view of
 * Consul); else from a passing instance of AUTH_SERVICE_NAME found through Consul
 * (development: in production AUTH_JWKS_URL is required). An https JWKS is fetched
 * with TLS_CA_FILE and the client certificate (see clientTlsFiles).
 * @throws ConfigError when none of these can find the keys.
 * @example const verify = accessTokenVerifier(config)
 */
export function accessTokenVerifier(
  config: {
    AUTH_JWKS_URL?: string
    AUTH_SERVICE_NAME: string
    JWT_ISSUER: string
    JWT_AUDIENCE: string
    CONSUL_HTTP_ADDR?: string
    CONSUL_HTTP_TOKEN?: string
  } & Parameters<typeof clientTlsFiles>[0],
  o: { discover?: () => Promise<string>; type?: string; audience?: string } = {},
): JwtVerifier {
  const { AUTH_JWKS_URL: url, CONSUL_HTTP_ADDR: consulAddress } = config
  if (!url && !o.discover && !consulAddress) {
    throw new ConfigError([
      {
        variable: 'AUTH_JWKS_URL',
        expected:
          "the auth service's JWKS URL, or CONSUL_HTTP_ADDR so the auth service can be found",
        got: undefined,
      },
    ])
  }
  const tlsFiles = clientTlsFiles(config)
  const consul = consulAddress ? consulClient(consulAddress, config.CONSUL_HTTP_TOKEN) : null
  return createJwtVerifier({
    jwks:
      url ??
      o.discover ??
      (async () =>
        `${await discoverService(consul!, config.AUTH_SERVICE_NAME)}/.well-known/jwks.json`),
    issuer: config.JWT_ISSUER,
    audience: o.audience ?? config.JWT_AUDIENCE,
    type: o.type,
    fetchTls: () => readClientTls(tlsFiles),
  })
}
