/**
 * The caller's home feed as Server-Sent Events: each post that appears in the
 * materialized home feed after the stream opened is sent once, oldest first, as
 * `event: post` with the post id as the event id and the feed item as JSON data.
 * The stream reads the read model itself (a short poll of the first page), so it
 * works with any number of feed instances and whichever of them consumed the event;
 * a comment line every `heartbeatMs` keeps idle connections and proxies open.
 * Source: https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '@civildiy/kit'
import type { FeedItem, FeedPage } from './model.ts'
import type { FeedReader } from './reader.ts'

export interface LiveFeedOptions {
  /** Ms between reads of the home feed. Default 250. */
  pollMs?: number
  /** Ms between keep-alive comments. Default 5,000 (below Bun's 10 s idle timeout). */
  heartbeatMs?: number
  /** Open streams per user; one more is refused with 429. Default 5. */
  maxStreamsPerUser?: number
  /** Called once when the stream ends (the client left). */
  onClose?: () => void
}

/**
 * @example
 * return new Response(liveHomeFeed(reader, auth.userId, logger), { headers: { 'content-type': 'text/event-stream' } })
 */
export function liveHomeFeed(
  reader: FeedReader,
  userId: string,
  logger: Logger,
  o: LiveFeedOptions = {},
): ReadableStream<Uint8Array> {
  const pollMs = o.pollMs ?? 250
  const heartbeatMs = o.heartbeatMs ?? 5_000
  const encoder = new TextEncoder()
  let stopped = false
  const seen = new Set<string>()
  const remember = (id: string) => {
    seen.add(id)
    // Sets iterate in insertion order: forget the oldest ids beyond a bound.
    if (seen.size > 2_000) seen.delete(seen.values().next().value!)
  }
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!stopped) controller.enqueue(encoder.encode(text))
      }
      send(`retry: 2000\n: live home feed of ${userId}\n\n`)
      let lastBeat = Date.now()
      let first = true
      while (!stopped) {
        try {
          const page = JSON.parse(await reader.home(userId, 50)) as FeedPage
          const fresh: FeedItem[] = page.items.filter((i) => !seen.has(i.id)).reverse()
          for (const item of fresh) {
            remember(item.id)
            if (!first) send(`event: post\nid: ${item.id}\ndata: ${JSON.stringify(item)}\n\n`)
          }
          first = false
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'live feed read failed; retrying')
        }
        if (Date.now() - lastBeat >= heartbeatMs) {
          send(': keep-alive\n\n')
          lastBeat = Date.now()
        }
        await sleep(pollMs)
      }
    },
    cancel() {
      stopped = true
      o.onClose?.()
    },
  })
}
