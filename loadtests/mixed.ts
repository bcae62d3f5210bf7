/**
 * Mixed reads and writes through the gateway: a pool of users created in setup,
 * each iteration reads a home feed or (WRITE_RATIO of the time) writes a post.
 *   k6 run -e BASE_URL=... -e PROFILE=load -e RATE=100 -e WRITE_RATIO=0.2 loadtests/mixed.ts
 */
import http from 'k6/http'
import { auth, BASE_URL, createPost, homeFeed, type Session, signUp, texts } from './lib/api.ts'
import { mixedOptions } from './mixed.options.ts'

export const options = mixedOptions(__ENV)
const writeRatio = Number(__ENV.WRITE_RATIO ?? 0.1)

export function setup(): { users: Session[] } {
  const users = Array.from({ length: Number(__ENV.USERS ?? 20) }, () => signUp('mixed'))
  // Everyone follows everyone, so every post lands in every home feed.
  for (const a of users)
    for (const b of users)
      if (a !== b)
        http.put(`${BASE_URL}/profiles/${b.userId}/follow`, null, {
          headers: auth(a),
          tags: { name: 'PUT follow' },
        })
  return { users }
}

export default function (data: { users: Session[] }) {
  const me = data.users[Math.floor(Math.random() * data.users.length)]!
  if (Math.random() < writeRatio) createPost(me, texts[Math.floor(Math.random() * texts.length)]!)
  else homeFeed(me)
}
