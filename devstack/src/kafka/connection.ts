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
import { FrameLengthError, FrameReader, kafkaFrames } from '../net/frame-reader.ts'
import { SocketWriter } from '../net/socket-writer.ts'
import { writeApiVersions } from './apis/api-versions.ts'
import type { BrokerState, RequestContext, SaslSession } from './apis/context.ts'
import { allApiHandlers, apiHandlers } from './apis/registry.ts'
import { ApiKey } from './protocol/api-keys.ts'
import { ErrorCode } from './protocol/error-codes.ts'
import { MalformedRequestError, Reader } from './protocol/reader.ts'
import { Writer } from './protocol/writer.ts'

/** What a client may ask before it has authenticated on a SASL listener. */
const beforeAuth = new Set<number>([
  ApiKey.ApiVersions,
  ApiKey.SaslHandshake,
  ApiKey.SaslAuthenticate,
])

export class Connection {
  private readonly reader: FrameReader
  private readonly writer: SocketWriter
  private readonly frames: Uint8Array[] = []
  private processing = false
  private readonly abort = new AbortController()
  private readonly session: SaslSession = {
    mechanism: null,
    scram: null,
    principal: null,
    closeAfterResponse: false,
  }
  readonly remote: string

  constructor(
    private readonly socket: Socket<Connection>,
    private readonly broker: BrokerState,
    maxFrameBytes: number,
  ) {
    this.remote = `${socket.remoteAddress}`
    this.reader = new FrameReader(kafkaFrames(maxFrameBytes))
    this.writer = new SocketWriter(socket)
  }

  /** Feeds received bytes; complete frames are queued for processing. */
  receive(chunk: Uint8Array): void {
    if (this.abort.signal.aborted) return
    this.reader.push(chunk)
    try {
      for (let f = this.reader.next(); f; f = this.reader.next()) this.frames.push(f.subarray(4))
    } catch (err) {
      if (!(err instanceof FrameLengthError)) throw err
      this.fail(err.message)
      return
    }
    if (!this.processing) void this.drainFrames()
  }

  /** Writes whatever the socket could not take earlier. */
  flush(): void {
    this.writer.flush()
  }

  /** The socket closed: end long polls and drop queued work. */
  closed(): void {
    this.abort.abort()
    this.frames.length = 0
    this.reader.clear()
    this.writer.clear()
  }

  /** Broker shutdown. */
  close(): void {
    this.abort.abort()
    this.socket.end()
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
        // ApiVersions answers in its v0 format with the supported ranges, so clients can
        // retry lower (KIP-511). Any other API at a version it does not speak: Kafka
        // cannot frame an answer in an unknown version and closes the connection, and
        // clients that probe versions (kafka-python) rely on that, not on an error body.
        if (apiKey !== ApiKey.ApiVersions) {
          this.fail(`unsupported version ${apiVersion} of API ${apiKey}`)
          return
        }
        writeApiVersions(w, 0, ErrorCode.UNSUPPORTED_VERSION, allApiHandlers)
        this.send(w)
        return
      }
      if (this.broker.auth && !this.session.principal && !beforeAuth.has(apiKey)) {
        // Kafka's SASL listener answers nothing before authentication and closes.
        this.fail(`API ${apiKey} before SASL authentication`)
        return
      }
      const ctx: RequestContext = {
        broker: this.broker,
        apiVersion,
        correlationId,
        clientId,
        clientHost: this.remote,
        signal: this.abort.signal,
        session: this.session,
      }
      const answer = await handler.handle(ctx, r, w)
      if (answer !== false && !this.abort.signal.aborted) this.send(w)
      if (this.session.closeAfterResponse) this.fail('SASL authentication failed')
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
    this.writer.write(w.bytesView())
  }

  private fail(reason: string): void {
    this.broker.log('warn', 'closing connection', { client: this.remote, reason })
    this.closed()
    this.socket.end()
  }
}
