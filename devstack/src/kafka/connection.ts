/**
 * One client connection: splits the byte stream into size-prefixed frames,
 * handles requests one at a time in arrival order (as Kafka does, so responses
 * leave in request order), and writes responses with backpressure.
 *
 * Framing source: https://kafka.apache.org/protocol#protocol_common (Request Header v1,
 * Response Header v0). A frame that is too large, too small or does not decode closes
 * this connection only.
 */
import type { Socket } from 'bun'
import { writeApiVersions } from './apis/api-versions.ts'
import type { BrokerState, RequestContext } from './apis/context.ts'
import { allApiHandlers, apiHandlers } from './apis/registry.ts'
import { ApiKey } from './protocol/api-keys.ts'
import { ErrorCode } from './protocol/error-codes.ts'
import { MalformedRequestError, Reader } from './protocol/reader.ts'
import { Writer } from './protocol/writer.ts'

/** Smallest valid request: api_key, api_version, correlation_id, client_id length. */
const MIN_FRAME = 10

export class Connection {
  private chunks: Uint8Array[] = []
  private buffered = 0
  private readonly frames: Uint8Array[] = []
  private processing = false
  private outbox: Uint8Array[] = []
  private readonly abort = new AbortController()
  readonly remote: string

  constructor(
    private readonly socket: Socket<Connection>,
    private readonly broker: BrokerState,
    private readonly maxFrameBytes: number,
  ) {
    this.remote = `${socket.remoteAddress}`
  }

  /** Feeds received bytes; complete frames are queued for processing. */
  receive(chunk: Uint8Array): void {
    if (this.abort.signal.aborted) return
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
    for (;;) {
      if (this.buffered < 4) break
      const size = this.peekSize()
      if (size < MIN_FRAME || size > this.maxFrameBytes) {
        this.fail(`frame size ${size} outside ${MIN_FRAME}..${this.maxFrameBytes} bytes`)
        return
      }
      if (this.buffered < 4 + size) break
      this.frames.push(this.take(4 + size).subarray(4))
    }
    if (!this.processing) void this.drainFrames()
  }

  /** Writes whatever the socket could not take earlier. */
  flush(): void {
    while (this.outbox.length > 0) {
      const next = this.outbox[0]!
      const written = this.socket.write(next)
      if (written < next.byteLength) {
        this.outbox[0] = next.subarray(written)
        return
      }
      this.outbox.shift()
    }
  }

  /** The socket closed: end long polls and drop queued work. */
  closed(): void {
    this.abort.abort()
    this.frames.length = 0
    this.chunks = []
    this.outbox = []
  }

  /** Broker shutdown. */
  close(): void {
    this.abort.abort()
    this.socket.end()
  }

  private peekSize(): number {
    const head = this.chunks[0]!.byteLength >= 4 ? this.chunks[0]! : this.take(4, true)
    return new DataView(head.buffer, head.byteOffset, 4).getInt32(0)
  }

  /** Removes `n` bytes from the front of the buffered chunks (or copies them, with peek). */
  private take(n: number, peek = false): Uint8Array {
    const first = this.chunks[0]!
    if (first.byteLength >= n && !peek) {
      const out = first.subarray(0, n)
      if (first.byteLength === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return out
    }
    const out = new Uint8Array(n)
    let at = 0
    let i = 0
    while (at < n) {
      // Consuming shifts finished chunks off, so the current one is always at index 0.
      const c = this.chunks[peek ? i++ : 0]!
      const part = Math.min(c.byteLength, n - at)
      out.set(c.subarray(0, part), at)
      at += part
      if (peek) continue
      if (part === c.byteLength) this.chunks.shift()
      else this.chunks[0] = c.subarray(part)
    }
    if (!peek) this.buffered -= n
    return out
  }

  private async drainFrames(): Promise<void> {
    this.processing = true
    try {
      while (this.frames.length > 0 && !this.abort.signal.aborted) {
        await this.handle(this.frames.shift()!)
      }
    } finally {
      this.processing = false
    }
  }

  private async handle(frame: Uint8Array): Promise<void> {
    const r = new Reader(frame)
    let apiKey = -1
    try {
      apiKey = r.int16()
      const apiVersion = r.int16()
      const correlationId = r.int32()
      const clientId = r.nullableString()
      const w = new Writer(512).int32(0).int32(correlationId)
      const handler = apiHandlers.get(apiKey)
      if (!handler || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
        this.broker.log('warn', 'unsupported API version', {
          client: this.remote,
          clientId,
          apiKey,
          apiVersion,
        })
        // ApiVersions answers in its v0 format with the supported ranges, so clients can retry lower.
        if (apiKey === ApiKey.ApiVersions)
          writeApiVersions(w, 0, ErrorCode.UNSUPPORTED_VERSION, allApiHandlers)
        else w.int16(ErrorCode.UNSUPPORTED_VERSION)
        this.send(w)
        return
      }
      const ctx: RequestContext = {
        broker: this.broker,
        apiVersion,
        correlationId,
        clientId,
        clientHost: this.remote,
        signal: this.abort.signal,
      }
      const answer = await handler.handle(ctx, r, w)
      if (answer !== false && !this.abort.signal.aborted) this.send(w)
    } catch (err) {
      if (err instanceof MalformedRequestError)
        this.fail(`malformed request (api key ${apiKey}): ${err.message}`)
      else {
        this.broker.log('error', 'request failed', {
          client: this.remote,
          apiKey,
          error: String((err as Error)?.stack ?? err),
        })
        this.fail('internal error while handling a request')
      }
    }
  }

  private send(w: Writer): void {
    w.setInt32(0, w.length - 4)
    const bytes = w.bytesView()
    if (this.outbox.length > 0) {
      this.outbox.push(bytes)
      return
    }
    const written = this.socket.write(bytes)
    if (written < bytes.byteLength) this.outbox.push(bytes.subarray(Math.max(0, written)))
  }

  private fail(reason: string): void {
    this.broker.log('warn', 'closing connection', { client: this.remote, reason })
    this.closed()
    this.socket.end()
  }
}
