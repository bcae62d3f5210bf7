/**
 * Search propagation as a user sees it: posts, each with a word no other post has,
 * timed from their 201 until a search through the gateway finds them (the post
 * event reached the search service's index). A post not found within the timeout
 * is lost and reported by id.
 */
import type { Session, StackClient } from '../client/stack-client.ts'
import { summarize } from '../report/stats.ts'
import { type Arrivals, timeUntil } from './arrivals.ts'

/** Search propagation: posts sent, ms until found, the ones never found. */
export type SearchPropagation = Arrivals

/**
 * Sends one post per body (each gets a unique word appended) at `ratePerSec` and
 * searches for each until found or `timeoutMs` after its 201.
 * @throws ApiError when a post is refused (the write side, not search, failed).
 * @example await measureSearchPropagation(api, author, ['hello garden'], { ratePerSec: 5, timeoutMs: 15_000 })
 */
export async function measureSearchPropagation(
  api: StackClient,
  author: Session,
  bodies: readonly string[],
  o: { ratePerSec: number; timeoutMs: number },
): Promise<SearchPropagation> {
  const waits: Promise<{ id: string; ms: number | null }>[] = []
  for (const body of bodies) {
    const word = `find${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
    const post = await api.createPost(author, `${body.slice(0, 4_000)} ${word}`)
    waits.push(waitUntilFound(api, word, post.id, o.timeoutMs))
    await Bun.sleep(1_000 / o.ratePerSec)
  }
  const results = await Promise.all(waits)
  const ms = results.flatMap((r) => (r.ms === null ? [] : [r.ms]))
  return {
    sent: bodies.length,
    found: ms.length ? summarize(ms) : null,
    lost: results.filter((r) => r.ms === null).map((r) => r.id),
  }
}

async function waitUntilFound(api: StackClient, word: string, id: string, timeoutMs: number) {
  const ms = await timeUntil(async () => (await api.search(word)).includes(id), timeoutMs)
  return { id, ms }
}
