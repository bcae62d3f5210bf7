/**
 * Notifications: each iteration a VU's own author posts, opens
 * `/notifications/live` (a WebSocket through the gateway, the token as
 * `access_token`, resuming after the last seq it has), and a shared reader
 * comments on the post; the time from the comment's 201 to the frame carrying it
 * is the Trend `notification_push_ms` (no frame within TIMEOUT_MS, default 10 s:
 * `notification_lost`). Then the author lists and marks read. One author per VU
 * keeps each user under the gateway's live-socket cap (5).
 *   k6 run -e BASE_URL=... -e PROFILE=load -e RATE=5 loadtests/notifications.ts
 */
import { check } from 'k6'
import http from 'k6/http'
import { Counter, Trend } from 'k6/metrics'
import { clearTimeout, setTimeout } from 'k6/timers'
import { WebSocket } from 'k6/websockets'
import { auth, BASE_URL, createPost, type Session, signUp, texts } from './lib/api.ts'
import { notificationsOptions } from './notifications.options.ts'

export const options = notificationsOptions(__ENV)
const push = new Trend('notification_push_ms', true)
const lost = new Counter('notification_lost')
const timeoutMs = Number(__ENV.TIMEOUT_MS ?? 10_000)
/** This VU's author (module state is per VU in k6). */
let author: Session | null = null

export function setup(): { reader: Session } {
  return { reader: signUp('commenter') }
}

/** The newest seq `s` has, 0 for none. */
function latestSeq(s: Session): number {
  const res = http.get(`${BASE_URL}/notifications?limit=1`, {
    headers: auth(s),
    tags: { name: 'GET /notifications' },
  })
  check(res, { 'notifications 200': (r) => r.status === 200 })
  return res.status === 200 ? ((res.json('items.0.seq') as number | null) ?? 0) : 0
}

export default function (data: { reader: Session }) {
  author ??= signUp('notified')
  const me = author
  const postId = createPost(me, texts[__ITER % texts.length]!)
  if (!postId) return
  const after = latestSeq(me)
  const live = BASE_URL.replace(/^http/, 'ws')
  const socket = new WebSocket(
    `${live}/notifications/live?after=${after}&access_token=${encodeURIComponent(me.token)}`,
  )
  let commentId: string | null = null
  let accepted = 0
  let done = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const finish = (arrived: boolean) => {
    if (done) return
    done = true
    // A pending timer would hold the iteration open until it fired.
    if (timer !== undefined) clearTimeout(timer)
    if (arrived) push.add(Date.now() - accepted)
    else lost.add(1)
    socket.close()
  }
  socket.onopen = () => {
    const res = http.post(
      `${BASE_URL}/posts/${postId}/comments`,
      JSON.stringify({ body: texts[(__ITER + 1) % texts.length] }),
      { headers: auth(data.reader), tags: { name: 'POST /posts/:id/comments' } },
    )
    if (!check(res, { 'comment 201': (r) => r.status === 201 })) return finish(false)
    commentId = res.json('id') as string
    accepted = Date.now()
    timer = setTimeout(() => finish(false), timeoutMs)
  }
  socket.onmessage = (e) => {
    const frame = JSON.parse(String(e?.data)) as {
      type: string
      notification?: { commentId: string | null }
    }
    if (commentId && frame.notification?.commentId === commentId) finish(true)
  }
  socket.onerror = () => finish(false)
  socket.onclose = () => {
    if (!done) finish(false)
    latestSeq(me)
    const read = http.post(`${BASE_URL}/notifications/read`, '{}', {
      headers: auth(me),
      tags: { name: 'POST /notifications/read' },
    })
    check(read, { 'read 200': (r) => r.status === 200 })
  }
}
