/**
 * Event propagation as a user sees it: an author posts, a follower polls their
 * home feed until the post shows; the time from the 201 to that read is the custom
 * Trend `propagation_ms`. A post not seen within TIMEOUT_MS (default 10 s) counts
 * in `propagation_lost`.
 *   k6 run -e BASE_URL=... -e PROFILE=load -e RATE=20 loadtests/propagation.ts
 */
import { sleep } from 'k6'
import http from 'k6/http'
import { Counter, Trend } from 'k6/metrics'
import { auth, BASE_URL, createPost, homeFeed, type Session, signUp, texts } from './lib/api.ts'
import { propagationOptions } from './propagation.options.ts'

export const options = propagationOptions(__ENV)
const propagation = new Trend('propagation_ms', true)
const lost = new Counter('propagation_lost')
const timeoutMs = Number(__ENV.TIMEOUT_MS ?? 10_000)

export function setup(): { author: Session; follower: Session } {
  const author = signUp('author')
  const follower = signUp('follower')
  // The follower's profile appears once user.registered is consumed.
  for (let i = 0; i < 100; i++) {
    const r = http.put(`${BASE_URL}/profiles/${author.userId}/follow`, null, {
      headers: auth(follower),
    })
    if (r.status === 204 || r.status === 200) break
    sleep(0.1)
  }
  return { author, follower }
}

export default function (data: { author: Session; follower: Session }) {
  const id = createPost(data.author, texts[__ITER % texts.length]!)
  if (!id) return
  const accepted = Date.now()
  while (Date.now() - accepted < timeoutMs) {
    if (homeFeed(data.follower, 50).includes(id)) {
      propagation.add(Date.now() - accepted)
      return
    }
    sleep(0.005)
  }
  lost.add(1)
}
