/**
 * A user's live notifications socket through the gateway (`/notifications/live`,
 * a WebSocket), for the check and the replay: it records when each notification
 * arrived, and resolves waits for a given comment's (or any matching) notification.
 */

/** One notification frame as the socket received it. */
export interface Pushed {
  seq: number
  kind: 'follow' | 'like' | 'comment'
  actorId: string
  postId: string | null
  commentId: string | null
  /** `performance.now()` when it arrived. */
  at: number
}

export interface LiveNotifications {
  received: Pushed[]
  /** The `at` of the notification about `commentId`, or null if none came within `timeoutMs`. */
  waitFor(commentId: string, timeoutMs: number): Promise<number | null>
  /** The `at` of the first notification `matches` accepts, or null if none came within `timeoutMs`. */
  waitUntil(matches: (p: Pushed) => boolean, timeoutMs: number): Promise<number | null>
  close(): Promise<void>
}

/**
 * Opens the socket with the token in the Authorization header, sending what comes after seq `after`.
 * @throws when the socket does not open (the gateway or the service refused it).
 * @example const live = await openLiveNotifications('http://127.0.0.1:8080', token, await api.latestNotification(s))
 */
export async function openLiveNotifications(
  gateway: string,
  token: string,
  after: number,
): Promise<LiveNotifications> {
  const url = `${gateway.replace(/^http/, 'ws')}/notifications/live?after=${after}`
  // Bun's WebSocket takes headers in a second argument.
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${token}` },
  } as unknown as string[])
  const received: Pushed[] = []
  ws.onmessage = (e) => {
    const frame = JSON.parse(String(e.data)) as {
      type: string
      notification?: Omit<Pushed, 'at'>
    }
    if (frame.type === 'notification' && frame.notification)
      received.push({ ...frame.notification, at: performance.now() })
  }
  const closed = new Promise<void>((resolve) => {
    ws.onclose = () => resolve()
  })
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve()
    ws.onerror = () => reject(new Error(`the live notifications socket at ${url} did not open`))
  })
  const waitUntil = async (matches: (p: Pushed) => boolean, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const hit = received.find(matches)
      if (hit) return hit.at
      if (performance.now() > deadline) return null
      await Bun.sleep(10)
    }
  }
  return {
    received,
    waitFor: (commentId, timeoutMs) => waitUntil((p) => p.commentId === commentId, timeoutMs),
    waitUntil,
    async close() {
      ws.close(1000)
      await closed
    },
  }
}
