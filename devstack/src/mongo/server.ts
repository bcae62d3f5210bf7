/**
 * A TCP server speaking the MongoDB wire protocol for the official Node driver
 * (7.x): OP_MSG for everything, OP_QUERY for the legacy handshake. One command is
 * handled at a time per connection, as mongod does. For development and tests only.
 *
 * Source: https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 */
import type { Socket } from 'bun'
import { FrameLengthError, FrameReader, mongoFrames } from '../net/frame-reader.ts'
import { SocketWriter } from '../net/socket-writer.ts'
import { MongoAuth, type MongoSession, type MongoUser } from './auth.ts'
import { runCommand } from './commands.ts'
import { CursorRegistry } from './cursors.ts'
import { Store } from './store.ts'
import { decodeMessage, encodeReply, WireError } from './wire.ts'

/** A structured log line from the server. */
export interface MongoLogEntry {
  level: 'info' | 'warn' | 'error'
  msg: string
  [field: string]: unknown
}

/** Options for {@link startMongo}. Every field has a default. */
export interface MongoOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default 27017. */
  port?: number
  /** Directory for the operation log; unset keeps everything in memory. */
  dataDir?: string | null
  /** Idle cursors are closed after this long (mongod's cursorTimeoutMillis). Default 10 min. */
  cursorTimeoutMs?: number
  /** Largest message accepted, in bytes (maxMessageSizeBytes). Default 48,000,000. */
  maxMessageBytes?: number
  /** Where log lines go. Default: one JSON line per entry on stderr. */
  log?: (entry: MongoLogEntry) => void
  /**
   * Require SCRAM-SHA-256 authentication, with these users (name to password,
   * authentication database and databases it may use). Default: no authentication.
   */
  users?: Record<string, MongoUser>
}

/** A running MongoDB stand-in. */
export interface MongoServer {
  /** Connection string, e.g. `mongodb://127.0.0.1:27017`. */
  url: string
  host: string
  port: number
  stop(): Promise<void>
}

interface ConnectionState {
  id: number
  reader: FrameReader
  writer: SocketWriter
  queue: Uint8Array[]
  busy: boolean
  closed: boolean
  session: MongoSession
}

/**
 * Starts the MongoDB stand-in and resolves once it accepts connections.
 *
 * @throws when the port cannot be bound.
 * @example
 * const mongo = await startMongo({ port: 0 })
 * const client = await MongoClient.connect(mongo.url)
 */
export async function startMongo(options: MongoOptions = {}): Promise<MongoServer> {
  const host = options.host ?? '127.0.0.1'
  const log =
    options.log ??
    ((entry) =>
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), component: 'mongo', ...entry })}\n`,
      ))
  const store = new Store(options.dataDir ?? null)
  const auth = options.users ? new MongoAuth(options.users) : null
  const cursors = new CursorRegistry(options.cursorTimeoutMs ?? 600_000)
  const maxMessageBytes = options.maxMessageBytes ?? 48_000_000
  const startedAt = Date.now()
  let nextConnectionId = 1
  let nextRequestId = 1
  const sockets = new Set<Socket<ConnectionState>>()

  const fail = (socket: Socket<ConnectionState>, reason: string) => {
    log({
      level: 'warn',
      msg: 'closing connection',
      client: socket.remoteAddress,
      connectionId: socket.data.id,
      reason,
    })
    socket.data.closed = true
    socket.data.queue.length = 0
    socket.end()
  }

  const drain = async (socket: Socket<ConnectionState>) => {
    const state = socket.data
    state.busy = true
    try {
      while (state.queue.length > 0 && !state.closed) {
        const frame = state.queue.shift()!
        let incoming: ReturnType<typeof decodeMessage>
        try {
          incoming = decodeMessage(frame)
        } catch (err) {
          fail(
            socket,
            err instanceof WireError
              ? err.message
              : `undecodable message: ${(err as Error).message}`,
          )
          return
        }
        const reply = incoming.db
          ? runCommand(incoming.command, {
              store,
              cursors,
              db: incoming.db,
              connectionId: state.id,
              startedAt,
              remote: `${socket.remoteAddress}`,
              auth,
              session: state.session,
            })
          : // mongod's answer to an OP_MSG without $db; the connection stays usable.
            {
              ok: 0,
              errmsg: 'OP_MSG requests require a $db argument',
              code: 40571,
              codeName: 'Location40571',
            }
        if (reply.ok === 0 && reply.code !== 59 && reply.code !== 11000 && reply.code !== 26) {
          log({
            level: 'info',
            msg: 'command failed',
            connectionId: state.id,
            command: Object.keys(incoming.command)[0],
            code: reply.code,
            errmsg: reply.errmsg,
          })
        }
        if (!incoming.noReply) state.writer.write(encodeReply(nextRequestId++, incoming, reply))
        // Let other connections run between commands of a busy one.
        await Promise.resolve()
      }
    } catch (err) {
      log({
        level: 'error',
        msg: 'request failed',
        connectionId: state.id,
        error: String((err as Error)?.stack ?? err),
      })
      fail(socket, 'internal error while handling a request')
    } finally {
      state.busy = false
    }
  }

  const listener = Bun.listen<ConnectionState>({
    hostname: host,
    port: options.port ?? 27017,
    socket: {
      open(socket) {
        socket.data = {
          id: nextConnectionId++,
          reader: new FrameReader(mongoFrames(maxMessageBytes)),
          writer: new SocketWriter(socket),
          queue: [],
          busy: false,
          closed: false,
          session: { user: null, scram: null, conversationDone: false },
        }
        sockets.add(socket)
      },
      data(socket, chunk) {
        const state = socket.data
        if (state.closed) return
        state.reader.push(chunk)
        try {
          for (let f = state.reader.next(); f; f = state.reader.next()) state.queue.push(f)
        } catch (err) {
          if (!(err instanceof FrameLengthError)) throw err
          fail(socket, err.message)
          return
        }
        if (!state.busy) void drain(socket)
      },
      drain(socket) {
        socket.data.writer.flush()
      },
      close(socket) {
        socket.data.closed = true
        socket.data.reader.clear()
        socket.data.writer.clear()
        sockets.delete(socket)
      },
      error(socket, error) {
        log({
          level: 'warn',
          msg: 'socket error',
          connectionId: socket.data?.id,
          error: error.message,
        })
      },
    },
  })
  const url = `mongodb://${host.includes(':') ? `[${host}]` : host}:${listener.port}`
  return {
    url,
    host,
    port: listener.port,
    async stop() {
      for (const s of sockets) s.end()
      listener.stop(true)
      cursors.close()
    },
  }
}
