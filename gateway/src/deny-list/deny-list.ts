/**
 * The users whose access tokens the gateway refuses although their signature is
 * valid: suspended accounts (and, later, accounts being deleted). Access tokens
 * are self-contained and live up to ACCESS_TOKEN_TTL_SEC, so without this a
 * suspension would take that long to bite. The gateway polls the auth service's
 * `GET /internal/denied-users` every DENY_LIST_POLL_MS and checks each request's
 * user against the last list it got: a suspension takes effect within one poll
 * interval plus one request. While auth cannot be reached, the last list stays.
 */
import type { Logger } from '@civildiy/kit'

/** Ms after start during which a failed fetch (auth not up yet) is not reported. */
const STARTUP_GRACE_MS = 30_000

export interface DenyList {
  /** Whether `userId`'s tokens are refused. */
  has(userId: string): boolean
  /** Users on the list, when it was last fetched (null: never), and whether the last fetch failed. */
  status(): { users: number; fetchedAt: string | null; failing: boolean }
  close(): void
}

/**
 * @param url where the list is (resolved on each poll: auth's instance may move).
 * @param init extra `fetch` options (TLS for an https auth).
 * @example const denied = watchDenyList({ url: async () => 'http://auth:3001/internal/denied-users', intervalMs: 1000, logger })
 */
export function watchDenyList(o: {
  url: () => Promise<string>
  intervalMs: number
  logger: Logger
  init?: () => RequestInit
}): DenyList {
  let users = new Set<string>()
  let fetchedAt: Date | null = null
  let failing = false
  const startedAt = Date.now()
  const poll = async () => {
    try {
      const res = await fetch(await o.url(), {
        ...o.init?.(),
        signal: AbortSignal.timeout(Math.max(1_000, o.intervalMs)),
      })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const body = (await res.json()) as { users?: unknown }
      if (!Array.isArray(body.users)) throw new Error('no users array')
      users = new Set(body.users.filter((u): u is string => typeof u === 'string'))
      fetchedAt = new Date()
      if (failing) o.logger.info({ users: users.size }, 'deny list fetched again')
      failing = false
    } catch (err) {
      // At start the gateway may be up before auth passes in Consul: not worth a warning yet.
      const starting = !fetchedAt && Date.now() - startedAt < STARTUP_GRACE_MS
      if (!failing && !starting)
        o.logger.warn({ err }, 'deny list could not be fetched; keeping the last one')
      failing = !starting
    }
  }
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const loop = async () => {
    await poll()
    if (!stopped) timer = setTimeout(loop, o.intervalMs)
    timer?.unref?.()
  }
  void loop()
  return {
    has: (userId) => users.has(userId),
    status: () => ({ users: users.size, fetchedAt: fetchedAt?.toISOString() ?? null, failing }),
    close() {
      stopped = true
      clearTimeout(timer)
    },
  }
}

/**
 * Where the deny list is: beside AUTH_JWKS_URL when it is configured, else at a
 * passing auth instance from `authUrl` (the gateway's view of Consul).
 * @example denyListUrl(config, async () => directory.instances('auth')[0]!.url)
 */
export function denyListUrl(
  c: { AUTH_JWKS_URL?: string },
  authUrl: () => Promise<string>,
): () => Promise<string> {
  if (c.AUTH_JWKS_URL) {
    const url = new URL('/internal/denied-users', c.AUTH_JWKS_URL).href
    return async () => url
  }
  return async () => `${await authUrl()}/internal/denied-users`
}

/**
 * The deny list the configuration asks for: polled every DENY_LIST_POLL_MS from
 * beside AUTH_JWKS_URL or from a passing auth instance, over `tls` when https.
 * @returns undefined when DENY_LIST_POLL_MS is 0 (off).
 * @example const denied = openDenyList(config, authFromDirectory(directory, 'auth'), tls, logger)
 */
export function openDenyList(
  c: { AUTH_JWKS_URL?: string; DENY_LIST_POLL_MS: number },
  authUrl: () => Promise<string>,
  tls: { current(): object },
  logger: Logger,
): DenyList | undefined {
  if (c.DENY_LIST_POLL_MS === 0) return undefined
  return watchDenyList({
    url: denyListUrl(c, authUrl),
    intervalMs: c.DENY_LIST_POLL_MS,
    logger,
    init: () => tls.current() as RequestInit,
  })
}
