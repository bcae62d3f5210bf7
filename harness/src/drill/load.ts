/**
 * The load a drill applies while it injects a fault: posts by a few authors at a
 * steady rate and feed reads, each request sent once (no client retries: the
 * drill measures what the stack does, not what a patient client hides), every
 * outcome counted by method and every accepted post remembered for the
 * integrity checks afterwards.
 */
import type { Session, StackClient } from '../client/stack-client.ts'

export interface LoadOptions {
  authors: Session[]
  postsPerSec: number
  getsPerSec: number
  /** Paths of the GETs, chosen in turn (default: the global feed and the first author's home feed). */
  getPaths?: (i: number) => { path: string; token?: string }
  /** Unique text in every post body, so duplicates can be told from repeats. */
  tag: string
}

export interface AcceptedPost {
  id: string
  authorId: string
  body: string
  acceptedAtMs: number
}

export interface MethodCounts {
  sent: number
  failed: number
  /** Statuses of the failures, e.g. `{ 502: 1 }`; network errors count as 0. */
  byStatus: Record<number, number>
}

/** One answered request: epoch ms when it was answered, and whether it succeeded. */
export interface LoadSample {
  atMs: number
  method: 'GET' | 'POST'
  ok: boolean
}

export interface RunningLoad {
  accepted: AcceptedPost[]
  counts: { GET: MethodCounts; POST: MethodCounts }
  /** Every answer in order: the throughput-over-time charts. */
  samples: LoadSample[]
  /** Stops sending and resolves once every request in flight has its answer. */
  stop(): Promise<void>
}

const counts = (): MethodCounts => ({ sent: 0, failed: 0, byStatus: {} })

/**
 * @example const load = startLoad(api, { authors, postsPerSec: 10, getsPerSec: 20, tag: 'drill-1' }); ...; await load.stop()
 */
export function startLoad(api: StackClient, o: LoadOptions): RunningLoad {
  const result = {
    accepted: [] as AcceptedPost[],
    counts: { GET: counts(), POST: counts() },
    samples: [] as LoadSample[],
  }
  const inFlight = new Set<Promise<void>>()
  let n = 0
  const track = (p: Promise<void>) => {
    inFlight.add(p)
    void p.finally(() => inFlight.delete(p))
  }
  const count = (method: 'GET' | 'POST', status: number) => {
    const c = result.counts[method]
    c.sent++
    const ok = status >= 200 && status < 300
    result.samples.push({ atMs: Date.now(), method, ok })
    if (ok) return
    c.failed++
    c.byStatus[status] = (c.byStatus[status] ?? 0) + 1
  }
  const post = async (i: number) => {
    const author = o.authors[i % o.authors.length]!
    const body = `${o.tag} post ${i}`
    const res = await api
      .raw('/posts', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${author.token}` },
        body: JSON.stringify({ body }),
      })
      .catch(() => null)
    count('POST', res?.status ?? 0)
    if (res?.status === 201) {
      const { id } = (await res.json()) as { id: string }
      result.accepted.push({ id, authorId: author.userId, body, acceptedAtMs: Date.now() })
    } else await res?.arrayBuffer().catch(() => {})
  }
  const pathOf =
    o.getPaths ??
    ((i: number) =>
      i % 2 ? { path: '/feed/global' } : { path: '/feed', token: o.authors[0]!.token })
  const get = async (i: number) => {
    const { path, token } = pathOf(i)
    const res = await api
      .raw(path, token ? { headers: { authorization: `Bearer ${token}` } } : {})
      .catch(() => null)
    await res?.arrayBuffer().catch(() => {})
    count('GET', res?.status ?? 0)
  }
  const posting = setInterval(() => track(post(n++)), 1000 / o.postsPerSec)
  let g = 0
  const reading = setInterval(() => track(get(g++)), 1000 / o.getsPerSec)
  return {
    ...result,
    async stop() {
      clearInterval(posting)
      clearInterval(reading)
      while (inFlight.size) await Promise.all([...inFlight])
    },
  }
}
