/**
 * Comments: each iteration an author posts, a reader comments on it with a real
 * text; the time from the comment's 201 until the post's `commentCount` in the
 * author's home feed counts it is the Trend `comment_propagation_ms` (not counted
 * within TIMEOUT_MS, default 10 s: `comment_lost`). The thread is read back once
 * (`GET /posts/:id/comments`). Writes are limited per user at the gateway
 * (RATE_LIMIT_WRITES_PER_MIN, default 120): `npm start` raises it for one machine.
 *   k6 run -e BASE_URL=... -e PROFILE=load -e RATE=5 loadtests/comments.ts
 */
import { check, sleep } from 'k6'
import http from 'k6/http'
import { Counter, Trend } from 'k6/metrics'
import { commentsOptions } from './comments.options.ts'
import { auth, BASE_URL, createPost, type Session, signUp, texts } from './lib/api.ts'

export const options = commentsOptions(__ENV)
const propagation = new Trend('comment_propagation_ms', true)
const lost = new Counter('comment_lost')
const timeoutMs = Number(__ENV.TIMEOUT_MS ?? 10_000)

export function setup(): { author: Session; reader: Session } {
  return { author: signUp('poster'), reader: signUp('commenter') }
}

/** The post's comment count in `s`'s home feed, or -1 when the post is not there. */
function countIn(s: Session, postId: string): number {
  const res = http.get(`${BASE_URL}/feed?limit=50`, {
    headers: auth(s),
    tags: { name: 'GET /feed' },
  })
  if (res.status !== 200) return -1
  const items = res.json('items') as { id: string; commentCount: number }[]
  return items.find((i) => i.id === postId)?.commentCount ?? -1
}

export default function (data: { author: Session; reader: Session }) {
  const postId = createPost(data.author, texts[__ITER % texts.length]!)
  if (!postId) return
  const res = http.post(
    `${BASE_URL}/posts/${postId}/comments`,
    JSON.stringify({ body: texts[(__ITER + 1) % texts.length] }),
    { headers: auth(data.reader), tags: { name: 'POST /posts/:id/comments' } },
  )
  if (!check(res, { 'comment 201': (r) => r.status === 201 })) return
  const accepted = Date.now()
  let counted = false
  while (Date.now() - accepted < timeoutMs) {
    if (countIn(data.author, postId) >= 1) {
      propagation.add(Date.now() - accepted)
      counted = true
      break
    }
    sleep(0.01)
  }
  if (!counted) lost.add(1)
  const thread = http.get(`${BASE_URL}/posts/${postId}/comments`, {
    tags: { name: 'GET /posts/:id/comments' },
  })
  check(thread, { 'thread 200': (r) => r.status === 200 })
}
