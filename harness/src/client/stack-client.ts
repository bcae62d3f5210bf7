/**
 * The public API of a CivilDIY stack as the harness uses it, through the gateway.
 * 429 answers, and 503s that carry Retry-After (load shed on purpose, as auth's
 * password hashing does under a sign-up burst), are waited out (Retry-After plus
 * jitter, bounded) so long replays survive rate limits; every other non-success
 * is an {@link ApiError} naming the call.
 */

export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly call: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${call} answered ${status}: ${body.slice(0, 300)}`)
  }
}

export interface Session {
  userId: string
  email: string
  token: string
}

export interface FeedItem {
  id: string
  authorId: string
  body: string
  createdAt: string
}

export interface FeedPage {
  items: FeedItem[]
  nextCursor: string | null
}

export interface StackClient {
  readonly base: string
  register(email: string, password: string): Promise<string>
  login(email: string, password: string): Promise<Session>
  /** Registers then logs in. */
  signUp(email: string, password: string): Promise<Session>
  me(token: string): Promise<{ id: string; email: string }>
  profileExists(userId: string): Promise<boolean>
  follow(session: Session, userId: string): Promise<void>
  createPost(session: Session, body: string): Promise<{ id: string }>
  home(session: Session, limit?: number): Promise<FeedItem[]>
  global(limit?: number): Promise<FeedItem[]>
  /** One page of the home feed (`null` session: the global feed), with the next cursor. */
  page(session: Session | null, limit: number, cursor?: string | null): Promise<FeedPage>
  /** A raw request through the gateway. */
  raw(path: string, init?: RequestInit): Promise<Response>
}

/**
 * @param maxRateLimitWaitMs total time one call may spend waiting out 429s and shed 503s. Default 120,000.
 * @example const api = stackClient('http://127.0.0.1:8080'); const s = await api.signUp('a@example.com', 'long password 1')
 */
export function stackClient(base: string, o: { maxRateLimitWaitMs?: number } = {}): StackClient {
  const root = base.replace(/\/+$/, '')
  const maxWait = o.maxRateLimitWaitMs ?? 120_000
  async function call(name: string, path: string, init: RequestInit = {}, ok = [200]) {
    let waited = 0
    for (;;) {
      const res = await fetch(root + path, init)
      const shed = res.status === 503 && res.headers.has('retry-after')
      if ((res.status === 429 || shed) && waited < maxWait) {
        const retryAfter = Number(res.headers.get('retry-after') ?? 1)
        // Jitter spreads the retries of a burst that was refused together.
        const ms = Math.min(maxWait - waited, Math.max(1, retryAfter) * 1000 * (1 + Math.random()))
        await res.arrayBuffer()
        await Bun.sleep(ms)
        waited += ms
        continue
      }
      if (!ok.includes(res.status)) throw new ApiError(name, res.status, await res.text())
      return res
    }
  }
  const json = (body: unknown, token?: string): RequestInit => ({
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  })
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
  const client: StackClient = {
    base: root,
    async register(email, password) {
      const res = await call(
        'register',
        '/auth/register',
        { method: 'POST', ...json({ email, password }) },
        [201],
      )
      return ((await res.json()) as { id: string }).id
    },
    async login(email, password) {
      const res = await call('login', '/auth/login', {
        method: 'POST',
        ...json({ email, password }),
      })
      const body = (await res.json()) as { accessToken: string; user?: { id: string } }
      const me = await client.me(body.accessToken)
      return { userId: me.id, email, token: body.accessToken }
    },
    async signUp(email, password) {
      await client.register(email, password)
      return client.login(email, password)
    },
    async me(token) {
      return (await (await call('me', '/auth/me', bearer(token))).json()) as {
        id: string
        email: string
      }
    },
    async profileExists(userId) {
      const res = await call('profile', `/profiles/${userId}`, {}, [200, 404])
      await res.arrayBuffer()
      return res.status === 200
    },
    async follow(session, userId) {
      const res = await call(
        'follow',
        `/profiles/${userId}/follow`,
        { method: 'PUT', ...bearer(session.token) },
        [204, 200],
      )
      await res.arrayBuffer()
    },
    async createPost(session, body) {
      const res = await call(
        'create post',
        '/posts',
        { method: 'POST', ...json({ body }, session.token) },
        [201],
      )
      return (await res.json()) as { id: string }
    },
    async home(session, limit = 50) {
      const res = await call('home feed', `/feed?limit=${limit}`, bearer(session.token))
      return ((await res.json()) as { items: FeedItem[] }).items
    },
    async global(limit = 50) {
      const res = await call('global feed', `/feed/global?limit=${limit}`)
      return ((await res.json()) as { items: FeedItem[] }).items
    },
    async page(session, limit, cursor) {
      const query = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
      const res = session
        ? await call('home feed', `/feed${query}`, bearer(session.token))
        : await call('global feed', `/feed/global${query}`)
      return (await res.json()) as FeedPage
    },
    raw: (path, init) => fetch(root + path, init),
  }
  return client
}
