/**
 * One HTTP/1.1 exchange over a raw TCP socket, for requests no client library
 * will send (repeated Content-Length, fragments, CONNECT, HTTP/1.0 without Host,
 * a body that arrives slowly).
 */
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export interface RawRequestOptions {
  /** Bytes sent after the head, in pieces with `pauseMs` between them. */
  chunks?: string[]
  pauseMs?: number
  /** Give up after this many ms (the server kept the connection open). Default 5000. */
  timeoutMs?: number
}

/**
 * Sends `head` (request line and headers, CRLF-terminated, blank line included)
 * and reads one response until the server closes or `Content-Length` is read.
 * @throws when no status line arrives before the timeout.
 * @example await rawRequest(port, 'GET /feed HTTP/1.0\r\n\r\n')
 */
export function rawRequest(
  port: number,
  head: string,
  o: RawRequestOptions = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      const parsed = parseResponse(data)
      if (parsed) resolve(parsed)
      else reject(new Error(`no HTTP response to ${JSON.stringify(head.split('\r\n')[0])}`))
    }
    const timer = setTimeout(done, o.timeoutMs ?? 5_000)
    socket.on('connect', async () => {
      socket.write(head)
      for (const chunk of o.chunks ?? []) {
        if (o.pauseMs) await Bun.sleep(o.pauseMs)
        if (socket.destroyed) return
        socket.write(chunk)
      }
    })
    socket.on('data', (d) => {
      data += d.toString('latin1')
      const parsed = parseResponse(data)
      if (parsed && parsed.headers['content-length'] !== undefined) {
        if (Buffer.byteLength(parsed.body, 'latin1') >= Number(parsed.headers['content-length']))
          done()
      }
    })
    socket.on('error', () => done())
    socket.on('close', done)
  })
}

function parseResponse(data: string): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n')
  if (end === -1) return undefined
  const [statusLine, ...lines] = data.slice(0, end).split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1])
  if (!status) return undefined
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status, headers, body: data.slice(end + 4) }
}
