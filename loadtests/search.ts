/**
 * Search as a second read model: an author posts a real text with a word of its
 * own; the time from the 201 until `GET /search` finds it is the Trend
 * `search_propagation_ms` (not seen within TIMEOUT_MS, default 10 s: `search_lost`);
 * every query's latency is `http_req_duration{name:GET /search}`. The gateway limits
 * searches per address: raise RATE_LIMIT_SEARCH_PER_MIN from one machine (`npm start` does).
 *   k6 run -e BASE_URL=... -e PROFILE=load -e RATE=5 loadtests/search.ts
 */
import { check, sleep } from 'k6'
import http from 'k6/http'
import { Counter, Trend } from 'k6/metrics'
import { BASE_URL, createPost, type Session, signUp, texts } from './lib/api.ts'
import { searchOptions } from './search.options.ts'

export const options = searchOptions(__ENV)
const propagation = new Trend('search_propagation_ms', true)
const lost = new Counter('search_lost')
const timeoutMs = Number(__ENV.TIMEOUT_MS ?? 10_000)

export function setup(): { author: Session } {
  return { author: signUp('searcher') }
}

/** The ids of the first page of posts matching `q`. */
function search(q: string): string[] {
  const res = http.get(`${BASE_URL}/search?q=${encodeURIComponent(q)}&limit=20`, {
    tags: { name: 'GET /search' },
  })
  check(res, { 'search 200': (r) => r.status === 200 })
  return res.status === 200 ? (res.json('items.#.postId') as string[]) : []
}

export default function (data: { author: Session }) {
  const word = `k6find${__VU}x${__ITER}x${Date.now().toString(36)}`
  const id = createPost(data.author, `${texts[__ITER % texts.length]} ${word}`)
  if (!id) return
  const accepted = Date.now()
  while (Date.now() - accepted < timeoutMs) {
    if (search(word).includes(id)) {
      propagation.add(Date.now() - accepted)
      return
    }
    sleep(0.01)
  }
  lost.add(1)
}
