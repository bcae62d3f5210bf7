/**
 * WebSockets through the kit's server: an Elysia route accepts the upgrade with
 * `acceptWebSocket`, frames go both ways, either side's close reaches the other,
 * and a plain request to the route is a 400 problem.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { type HttpServer, serveHttp } from './http-server.ts'
import { acceptWebSocket, type LiveSocket } from './websocket.ts'

let server: HttpServer
const closes: { code: number; reason: string }[] = []
const app = new Elysia()
  .onError(({ error, set }) => {
    set.status = (error as { status?: number }).status ?? 500
    return { detail: (error as Error).message }
  })
  .get('/echo', ({ request }) => {
    let socket: LiveSocket | undefined
    return acceptWebSocket(request, {
      open(s) {
        socket = s
        s.send('hello')
      },
      message(text) {
        if (text === 'bye') socket?.close(4001, 'asked to')
        else socket?.send(`echo:${text}`)
      },
      close: (code, reason) => void closes.push({ code, reason }),
    })
  })

beforeAll(() => {
  server = serveHttp({
    hostname: '127.0.0.1',
    port: 0,
    maxRequestBodyBytes: 1024,
    fetch: (request) => app.handle(request),
    error: () => new Response('error', { status: 500 }),
  })
})
afterAll(() => server.stop(true))

/** The frames `ws` receives until it closes, and how it closed. */
function record(ws: WebSocket) {
  const frames: string[] = []
  ws.onmessage = (e) => frames.push(String(e.data))
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason })
  })
  return { frames, closed }
}

test('frames go both ways and the server’s close code reaches the client', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo`)
  const r = record(ws)
  await new Promise((resolve) => {
    ws.onopen = resolve
  })
  ws.send('one')
  ws.send('bye')
  expect(await r.closed).toEqual({ code: 4001, reason: 'asked to' })
  expect(r.frames).toEqual(['hello', 'echo:one'])
  expect(closes.at(-1)?.code).toBe(4001)
})

test('a client’s close reaches the session', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/echo`)
  const r = record(ws)
  await new Promise((resolve) => {
    ws.onopen = resolve
  })
  const before = closes.length
  ws.close(1000, 'done')
  await r.closed
  for (let i = 0; i < 100 && closes.length === before; i++) await Bun.sleep(10)
  expect(closes.at(-1)).toEqual({ code: 1000, reason: 'done' })
})

test('a plain request to a WebSocket route is refused with 400', async () => {
  const res = await fetch(`http://127.0.0.1:${server.port}/echo`)
  expect(res.status).toBe(400)
  expect(((await res.json()) as { detail: string }).detail).toContain('WebSocket')
})
