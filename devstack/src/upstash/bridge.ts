/**
 * An HTTP bridge speaking the Upstash Redis REST protocol in front of a real
 * Redis, like Upstash's serverless-redis-http, so `@upstash/redis` and
 * `@upstash/ratelimit` work against a local redis-server. For development and
 * tests only.
 *
 * Protocol (https://upstash.com/docs/redis/features/restapi):
 * - `Authorization: Bearer <token>` on every request, else 401;
 * - `POST /` with a JSON command array -> `{ result }`, or 400 `{ error }`;
 * - `POST /pipeline` with an array of commands -> `[{ result } | { error }, ...]`;
 * - `POST /multi-exec` the same, run atomically in MULTI/EXEC;
 * - path style `GET|POST /<command>/<arg>/...` (a POST body is the last argument);
 * - `Upstash-Encoding: base64`: every string in the result is base64-encoded
 *   (bytes exact), except the status reply "OK".
 * Replies keep RESP2 shapes (flat arrays for hashes, strings for scores), as
 * Upstash returns them; the bridge talks RESP2 to Redis for that reason.
 * Upstash-only Lua shebang flags are stripped on the way in (see lua-flags.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import { createClient, RESP_TYPES } from 'redis'
import { LuaFlagRewriter } from './lua-flags.ts'

/** Options for {@link startUpstashBridge}. */
export interface UpstashBridgeOptions {
  /** The Redis behind the bridge, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string
  /** Bearer token clients must send. Default `devstack`. */
  token?: string
  host?: string
  /** Port; 0 picks a free one. Default 8079 (serverless-redis-http's). */
  port?: number
}

/** A running bridge: point `@upstash/redis` at `{ url, token }`. */
export interface UpstashBridge {
  url: string
  token: string
  stop(): Promise<void>
}

type Reply = string | number | null | Buffer | Reply[] | Error

/**
 * Starts the bridge after connecting to Redis.
 *
 * @throws when Redis cannot be reached or the port cannot be bound.
 * @example
 * const bridge = await startUpstashBridge({ redisUrl: 'redis://127.0.0.1:6379', port: 0 })
 * const redis = new Redis({ url: bridge.url, token: bridge.token })
 */
export async function startUpstashBridge(options: UpstashBridgeOptions): Promise<UpstashBridge> {
  const token = options.token ?? 'devstack'
  const host = options.host ?? '127.0.0.1'
  // Bulk strings as Buffers keep binary values exact for base64 replies.
  const redis = createClient({ url: options.redisUrl, RESP: 2 }).withTypeMapping({
    [RESP_TYPES.BLOB_STRING]: Buffer,
  })
  redis.on('error', () => {})
  await redis.connect()

  const expected = Buffer.from(`Bearer ${token}`)
  const authorized = (req: Request) => {
    const got = Buffer.from(req.headers.get('authorization') ?? '')
    return got.length === expected.length && timingSafeEqual(got, expected)
  }

  const lua = new LuaFlagRewriter()
  const run = async (args: string[]): Promise<Reply> => {
    try {
      const loadedAs = lua.rewrite(args)
      const reply = (await redis.sendCommand(args)) as Reply
      return loadedAs ?? reply
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
  }

  const server = Bun.serve({
    hostname: host,
    port: options.port ?? 8079,
    async fetch(req) {
      if (!authorized(req)) return Response.json({ error: 'Unauthorized' }, { status: 401 })
      const url = new URL(req.url)
      const base64 = req.headers.get('upstash-encoding')?.toLowerCase() === 'base64'
      const encode = (r: Reply) => toJson(r, base64)
      if (
        req.method === 'POST' &&
        (url.pathname === '/pipeline' || url.pathname === '/multi-exec')
      ) {
        const commands = parseCommands(await req.text(), true)
        if (commands instanceof Error)
          return Response.json({ error: commands.message }, { status: 400 })
        if (url.pathname === '/pipeline') {
          const replies = await Promise.all(commands.map(run))
          return Response.json(
            replies.map((r) => (r instanceof Error ? { error: r.message } : { result: encode(r) })),
          )
        }
        const multi = redis.multi()
        for (const c of commands) {
          lua.rewrite(c)
          multi.addCommand(c)
        }
        const replies = await multi
          .exec()
          .catch(
            (err: { replies?: Reply[]; message: string }) => err.replies ?? new Error(err.message),
          )
        if (replies instanceof Error)
          return Response.json({ error: replies.message }, { status: 400 })
        return Response.json(
          (replies as Reply[]).map((r) =>
            r instanceof Error ? { error: r.message } : { result: encode(r) },
          ),
        )
      }
      let command: string[] | Error
      if (url.pathname === '/' && req.method === 'POST') {
        const parsed = parseCommands(await req.text(), false)
        command = parsed instanceof Error ? parsed : parsed[0]!
      } else {
        command = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
        if (req.method === 'POST') {
          const body = await req.text()
          if (body) command.push(body)
        }
        if (command.length === 0) command = new Error('ERR failed to parse command')
      }
      if (command instanceof Error)
        return Response.json({ error: command.message }, { status: 400 })
      const reply = await run(command)
      if (reply instanceof Error) return Response.json({ error: reply.message }, { status: 400 })
      return Response.json({ result: encode(reply) })
    },
  })
  return {
    url: `http://${host}:${server.port}`,
    token,
    async stop() {
      await server.stop(true)
      await redis.quit().catch(() => {})
    },
  }
}

/** Parses one command (`["SET","k","v"]`) or, with `many`, a list of them; arguments become strings. */
function parseCommands(body: string, many: boolean): string[][] | Error {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return new Error('ERR failed to parse command: body is not JSON')
  }
  const list = many ? value : [value]
  if (!Array.isArray(list) || list.length === 0)
    return new Error('ERR failed to parse command: expected an array')
  const out: string[][] = []
  for (const cmd of list) {
    if (!Array.isArray(cmd) || cmd.length === 0)
      return new Error('ERR failed to parse command: each command is a non-empty array')
    if (cmd.some((a) => a === null || typeof a === 'object'))
      return new Error(
        'ERR failed to parse command: arguments must be strings, numbers or booleans',
      )
    out.push(cmd.map(String))
  }
  return out
}

function toJson(reply: Reply, base64: boolean): unknown {
  if (reply === null || typeof reply === 'number') return reply
  if (Array.isArray(reply))
    return reply.map((r) => (r instanceof Error ? r.message : toJson(r, base64)))
  const bytes = Buffer.isBuffer(reply) ? reply : Buffer.from(String(reply))
  const text = bytes.toString('utf8')
  if (!base64 || text === 'OK') return text
  return bytes.toString('base64')
}
