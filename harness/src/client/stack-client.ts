/**
 * The public API of a CivilDIY stack as the harness uses it, through the gateway,
 * on Eden Treaty clients typed by each service's own app (`@civildiy/<service>/client`).
 * 429 answers, and 503s that carry Retry-After (load shed on purpose, as auth's
 * password hashing does under a sign-up burst), are waited out (Retry-After plus
 * jitter, bounded) so long replays survive rate limits; every other non-success
 * is an {@link ApiError} naming the call.
 */

import type { AuthApp } from '@civildiy/auth/client'
import type { FeedApp } from '@civildiy/feed/client'
import type { NotificationsApp } from '@civildiy/notifications/client'
import type { PostsApp } from '@civildiy/posts/client'
import type { ProfileApp } from '@civildiy/profile/client'
import type { SearchApp } from '@civildiy/search/client'
import { treaty } from '@elysiajs/eden'

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
  /** From the login; `adminClient().refresh` trades it for a token with the current roles. */
  refreshToken?: string
}

export interface FeedItem {
  id: string
  authorId: string
  body: string
  createdAt: string
  /** Live comments on the post, as the feed counted them. */
  commentCount: number
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
  /** Creates a post; its id and `createdAt` as the posts service set it (RFC 3339). */
  createPost(session: Session, body: string): Promise<{ id: string; createdAt: string }>
  /** Comments on a post; the comment's id. */
  comment(session: Session, postId: string, body: string): Promise<{ id: string }>
  /** Likes a post (idempotent). */
  like(session: Session, postId: string): Promise<void>
  home(session: Session, limit?: number): Promise<FeedItem[]>
  global(limit?: number): Promise<FeedItem[]>
  /** One page of the home feed (`null` session: the global feed), with the next cursor. */
  page(session: Session | null, limit: number, cursor?: string | null): Promise<FeedPage>
  /** The seq of the user's newest notification (0 before the first). */
  latestNotification(session: Session): Promise<number>
  /** Post ids matching `q` in the search service, best first. */
  search(q: string, limit?: number): Promise<string[]>
  /** A raw request through the gateway. */
  raw(path: string, init?: RequestInit): Promise<Response>
}

/**
 * `fetch` that waits out 429s and shed 503s (Retry-After plus jitter), at most
 * `maxWaitMs` in all per call; any other answer is returned as it is.
 */
export function waitingFetch(maxWaitMs: number): typeof fetch {
  const waiting = async (input: string | URL | Request, init?: RequestInit) => {
    let waited = 0
    for (;;) {
      const res = await fetch(input, init)
      const shed = res.status === 503 && res.headers.has('retry-after')
      if ((res.status !== 429 && !shed) || waited >= maxWaitMs) return res
      const retryAfter = Number(res.headers.get('retry-after') ?? 1)
      // Jitter spreads the retries of a burst that was refused together.
      const ms = Math.min(maxWaitMs - waited, Math.max(1, retryAfter) * 1000 * (1 + Math.random()))
      await res.arrayBuffer()
      await Bun.sleep(ms)
      waited += ms
    }
  }
  return Object.assign(waiting, { preconnect: fetch.preconnect })
}

/** Statuses that say the gateway gave up on an upstream, which may still have done the work. */
const GAVE_UP = new Set([502, 504])

/**
 * Runs `call` again while it fails with 502 or 504, after 0.5 s, 1 s, 2 s (with
 * jitter), `attempts` times in all; `onGaveUp` hears each such failure.
 * @throws the last failure, or any other one at once.
 */
async function retryGaveUp<T>(
  call: () => Promise<T>,
  onGaveUp?: (err: ApiError) => void,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (!(err instanceof ApiError) || !GAVE_UP.has(err.status)) throw err
      onGaveUp?.(err)
      if (attempt >= attempts) throw err
      await Bun.sleep(500 * 2 ** (attempt - 1) * (1 + Math.random()))
    }
  }
}

/** What an Eden Treaty call resolves with, as far as this client reads it. */
interface TreatyAnswer<T> {
  data: T | null
  error: { status: unknown; value: unknown } | null
  status: number
}

/** The data of an answer with one of the `ok` statuses; else an ApiError naming the call. */
export function expectStatus<T>(call: string, answer: TreatyAnswer<T>, ok = [200]): T {
  if (!ok.includes(answer.status))
    throw new ApiError(call, answer.status, JSON.stringify(answer.error?.value ?? answer.data))
  return answer.data as T
}

/**
 * The stack's API through the gateway with typed clients (Eden Treaty over each
 * service's own app type: the gateway serves the same paths).
 * `maxRateLimitWaitMs`: total time one call may spend waiting out 429s and shed
 * 503s (default 120,000). `signUp` also retries a 502 or 504 three times with
 * backoff (argon2id hashing on a busy machine can outlast the gateway's timeout),
 * taking a 409 after such a retry as its own account.
 * @example const api = stackClient('http://127.0.0.1:8080'); const s = await api.signUp('a@example.com', 'long password 1')
 */
export function stackClient(
  base: string,
  o: {
    maxRateLimitWaitMs?: number
    /** Hears each 502/504 that `signUp` retried (the upstream could not keep up). */
    onGaveUp?: (err: ApiError) => void
  } = {},
): StackClient {
  const root = base.replace(/\/+$/, '')
  // parseDate off: date-time fields stay the RFC 3339 strings their types say, and
  // Eden's JSON reviver no longer tests three regular expressions per string of every
  // response (parsing responses was a third of the load generator's CPU, mostly the
  // watchers' page reads).
  const config = { fetcher: waitingFetch(o.maxRateLimitWaitMs ?? 120_000), parseDate: false }
  const auth = treaty<AuthApp>(root, config)
  const profile = treaty<ProfileApp>(root, config)
  const posts = treaty<PostsApp>(root, config)
  const feed = treaty<FeedApp>(root, config)
  const search = treaty<SearchApp>(root, config)
  const notifications = treaty<NotificationsApp>(root, config)
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const client: StackClient = {
    base: root,
    async register(email, password) {
      return expectStatus('register', await auth.auth.register.post({ email, password }), [201]).id
    },
    async login(email, password) {
      const tokens = expectStatus('login', await auth.auth.login.post({ email, password }))
      const me = await client.me(tokens.accessToken)
      return { userId: me.id, email, token: tokens.accessToken, refreshToken: tokens.refreshToken }
    },
    async signUp(email, password) {
      let tried = false
      await retryGaveUp(async () => {
        try {
          await client.register(email, password)
        } catch (err) {
          // An earlier attempt the gateway gave up on went through: the account is ours.
          if (tried && err instanceof ApiError && err.status === 409) return
          throw err
        } finally {
          tried = true
        }
      }, o.onGaveUp)
      return retryGaveUp(() => client.login(email, password), o.onGaveUp)
    },
    async me(token) {
      return expectStatus('me', await auth.auth.me.get({ headers: bearer(token) }))
    },
    async profileExists(userId) {
      const answer = await profile.profiles({ id: userId }).get()
      expectStatus('profile', answer, [200, 404])
      return answer.status === 200
    },
    async follow(session, userId) {
      const answer = await profile
        .profiles({ id: userId })
        .follow.put(undefined, { headers: bearer(session.token) })
      expectStatus('follow', answer, [204, 200])
    },
    async createPost(session, body) {
      const answer = await posts.posts.post({ body }, { headers: bearer(session.token) })
      const post = expectStatus('create post', answer, [201])
      return { id: post.id, createdAt: post.createdAt }
    },
    async comment(session, postId, body) {
      const answer = await posts
        .posts({ id: postId })
        .comments.post({ body }, { headers: bearer(session.token) })
      return { id: expectStatus('comment', answer, [201]).id }
    },
    async like(session, postId) {
      const answer = await posts
        .posts({ id: postId })
        .like.put(undefined, { headers: bearer(session.token) })
      expectStatus('like', answer, [200])
    },
    async home(session, limit = 50) {
      return (await client.page(session, limit)).items
    },
    async global(limit = 50) {
      return (await client.page(null, limit)).items
    },
    async page(session, limit, cursor) {
      const query = { limit, ...(cursor ? { cursor } : {}) }
      return session
        ? expectStatus('home feed', await feed.feed.get({ query, headers: bearer(session.token) }))
        : expectStatus('global feed', await feed.feed.global.get({ query }))
    },
    async latestNotification(session) {
      const page = expectStatus(
        'notifications',
        await notifications.notifications.get({
          query: { limit: 1 },
          headers: bearer(session.token),
        }),
      )
      return page.items[0]?.seq ?? 0
    },
    async search(q, limit = 20) {
      const page = expectStatus('search', await search.search.get({ query: { q, limit } }))
      return page.items.map((i) => i.postId)
    },
    raw: (path, init) => fetch(root + path, init),
  }
  return client
}
