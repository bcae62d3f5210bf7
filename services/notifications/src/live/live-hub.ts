/**
 * The live sockets of this instance: each sends its user's notifications after
 * the seq it started from, in seq order, with nothing skipped or sent twice. A
 * socket wakes at once when this instance's consumer wrote for its user, and
 * every LIVE_POLL_MS from the users' counters (a notification another instance
 * wrote). A heartbeat frame every LIVE_HEARTBEAT_MS lets both ends (and any proxy
 * between them) tell a quiet socket from a dead one. A user holds at most
 * LIVE_SOCKETS_PER_USER sockets; one more is closed with 4429.
 */
import type { LiveSocket, Logger, Metrics, WebSocketSession } from '@civildiy/kit'
import type { LiveFrame } from '../notifications/model.ts'
import type { NotificationService } from '../notifications/service.ts'

/** Close code for one socket too many (4000-4999 are the application's, RFC 6455 §7.4.2). */
export const TOO_MANY_SOCKETS = 4429
const BATCH = 100

interface Connection {
  userId: string
  socket: LiveSocket
  /** The last seq sent; null until the starting point is read. */
  lastSent: number | null
  pumping: boolean
  again: boolean
}

export interface LiveHub {
  /** The session of a new socket for `userId`, sending what comes after `after` (from now when undefined). */
  connect(userId: string, after: number | undefined): WebSocketSession
  /** This instance wrote a notification for `userId`. */
  wake(userId: string): void
  /** Open sockets. */
  size(): number
  /** Stops the timers and closes every socket (1001, going away). */
  close(): void
}

/** @example const hub = createLiveHub({ notifications, maxPerUser: 5, heartbeatMs: 15_000, pollMs: 500, logger }) */
export function createLiveHub(o: {
  notifications: NotificationService
  maxPerUser: number
  heartbeatMs: number
  pollMs: number
  logger: Logger
  metrics?: Metrics
}): LiveHub {
  const byUser = new Map<string, Set<Connection>>()
  const all = () => [...byUser.values()].flatMap((set) => [...set])
  o.metrics?.gauge('notifications_live_sockets', 'Open /notifications/live sockets', [], (g) =>
    g.set(all().length),
  )
  const send = (c: Connection, frame: LiveFrame) => c.socket.send(JSON.stringify(frame))

  /** Sends everything after `lastSent`; a second call while one runs makes it go round again. */
  const pump = async (c: Connection) => {
    if (c.pumping) {
      c.again = true
      return
    }
    c.pumping = true
    try {
      c.lastSent ??= await o.notifications.latest(c.userId)
      do {
        c.again = false
        const batch = await o.notifications.after(c.userId, c.lastSent, BATCH)
        for (const notification of batch) send(c, { type: 'notification', notification })
        if (batch.length) c.lastSent = batch.at(-1)!.seq
        if (batch.length === BATCH) c.again = true
      } while (c.again)
    } catch (err) {
      // The next poll or wake-up tries again from the same seq: nothing is skipped.
      o.logger.warn({ err, userId: c.userId }, 'live notifications could not be read')
    } finally {
      c.pumping = false
    }
  }

  const poll = setInterval(async () => {
    const users = [...byUser.keys()]
    if (users.length === 0) return
    const latest = await o.notifications.latestOf(users).catch(() => null)
    if (!latest) return
    for (const [userId, seq] of latest)
      for (const c of byUser.get(userId) ?? [])
        if (c.lastSent !== null && seq > c.lastSent) void pump(c)
  }, o.pollMs)
  const heartbeat = setInterval(() => {
    const at = new Date().toISOString()
    for (const c of all()) send(c, { type: 'heartbeat', at })
  }, o.heartbeatMs)
  poll.unref?.()
  heartbeat.unref?.()

  return {
    connect(userId, after) {
      let connection: Connection | undefined
      return {
        open(socket) {
          const mine = byUser.get(userId) ?? new Set<Connection>()
          if (mine.size >= o.maxPerUser) {
            socket.close(TOO_MANY_SOCKETS, `at most ${o.maxPerUser} live sockets per user`)
            return
          }
          connection = { userId, socket, lastSent: after ?? null, pumping: false, again: false }
          mine.add(connection)
          byUser.set(userId, mine)
          void pump(connection)
        },
        close() {
          const mine = byUser.get(userId)
          if (!connection || !mine) return
          mine.delete(connection)
          if (mine.size === 0) byUser.delete(userId)
        },
      }
    },
    wake(userId) {
      for (const c of byUser.get(userId) ?? []) void pump(c)
    },
    size: () => all().length,
    close() {
      clearInterval(poll)
      clearInterval(heartbeat)
      for (const c of all()) c.socket.close(1001, 'going away')
      byUser.clear()
    },
  }
}
