/**
 * The dashboard's live stream: Server-Sent Events to every open page. Named
 * events (`topology`, `events`, `logs`, `traces`, `run`) carry JSON; a comment
 * every 5 s keeps idle connections open through proxies and Bun's idle timeout.
 * Source: html.spec.whatwg.org/multipage/server-sent-events.html
 */

export interface LiveHub {
  /** Sends one named event to every subscriber. */
  publish(event: string, data: unknown): void
  /** A `text/event-stream` response for one client; it leaves the hub when the client goes. */
  connect(signal: AbortSignal, first?: { event: string; data: unknown }[]): Response
  subscribers(): number
  close(): void
}

const encoder = new TextEncoder()
const frame = (event: string, data: unknown) =>
  encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)

/** @example const hub = createLiveHub(); hub.publish('topology', topology) */
export function createLiveHub(): LiveHub {
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>()
  const drop = (c: ReadableStreamDefaultController<Uint8Array>) => {
    clients.delete(c)
    try {
      c.close()
    } catch {
      // Already closed by the client.
    }
  }
  const send = (c: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    try {
      // A client that stopped reading holds at most ~1 MiB here before it is dropped.
      if ((c.desiredSize ?? 0) < -1_000_000) drop(c)
      else c.enqueue(bytes)
    } catch {
      drop(c)
    }
  }
  const keepAlive = setInterval(() => {
    for (const c of clients) send(c, encoder.encode(': keep-alive\n\n'))
  }, 5_000)
  keepAlive.unref()
  return {
    publish(event, data) {
      if (clients.size === 0) return
      const bytes = frame(event, data)
      for (const c of clients) send(c, bytes)
    },
    connect(signal, first = []) {
      let controller: ReadableStreamDefaultController<Uint8Array>
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c
          clients.add(c)
          c.enqueue(encoder.encode('retry: 1000\n\n'))
          for (const f of first) c.enqueue(frame(f.event, f.data))
        },
        cancel() {
          clients.delete(controller)
        },
      })
      signal.addEventListener('abort', () => drop(controller))
      return new Response(stream, {
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
      })
    },
    subscribers: () => clients.size,
    close() {
      clearInterval(keepAlive)
      for (const c of clients) drop(c)
    },
  }
}
