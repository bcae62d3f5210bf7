/**
 * Feed read latency at a target arrival rate (constant-arrival-rate, so a slow
 * server shows as latency, not as fewer requests): 20-item home-feed pages of a
 * user following posting authors.
 *   k6 run -e BASE_URL=... -e PROFILE=load -e RATE=500 loadtests/feed-read.ts
 */
import http from 'k6/http'
import { feedReadOptions } from './feed-read.options.ts'
import { auth, BASE_URL, createPost, homeFeed, type Session, signUp, texts } from './lib/api.ts'

export const options = feedReadOptions(__ENV)

export function setup(): { reader: Session } {
  const reader = signUp('reader')
  for (let a = 0; a < 5; a++) {
    const author = signUp('author')
    http.put(`${BASE_URL}/profiles/${author.userId}/follow`, null, { headers: auth(reader) })
    for (let i = 0; i < 10; i++) createPost(author, texts[i % texts.length]!)
  }
  return { reader }
}

export default function (data: { reader: Session }) {
  homeFeed(data.reader, 20)
}
