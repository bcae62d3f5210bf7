/**
 * WebSockets (RFC 6455) on whichever runtime serves the app, behind one small
 * interface: a route calls {@link acceptWebSocket} with a session, and the
 * server (`http-server.ts`) completes the upgrade with Bun's `server.upgrade` or
 * Deno's `Deno.upgradeWebSocket`. Sessions see text frames only; application
 * refusals after the upgrade close with a 4000-4999 code (RFC 6455 §7.4.2).
 */
import { BadRequestError } from './errors.ts'

/** One accepted WebSocket as the app sees it. */
export interface LiveSocket {
  /** Sends one text frame; a closed socket drops it. */
  send(text: string): void
  /** Closes with `code` (1000 normal; 4000-4999 for the app's own reasons). */
  close(code?: number, reason?: string): void
}

/** What happens on an accepted socket. */
export interface WebSocketSession {
  open(socket: LiveSocket): void
  /** A text frame from the peer (binary frames are decoded as UTF-8). */
  message?(text: string): void
  /** The socket closed, from either side. */
  close?(code: number, reason: string): void
}

/** Completes an upgrade for the server that received `request`; the Response the app returns. */
export type WebSocketUpgrade = (request: Request, session: WebSocketSession) => Response

/** Largest frame a session receives, bytes; a bigger one closes the socket (1009). */
export const MAX_WEBSOCKET_FRAME_BYTES = 64 * 1024

/** Whether `request` asks for a WebSocket (`Upgrade: websocket`, RFC 6455 §4.1). */
export function isWebSocketUpgrade(request: Request): boolean {
  return request.method === 'GET' && request.headers.get('upgrade')?.toLowerCase() === 'websocket'
}

const upgrades = new WeakMap<Request, WebSocketUpgrade>()

/** Lets `acceptWebSocket` upgrade `request` (the server calls this before the app sees it). */
export function allowUpgrade(request: Request, upgrade: WebSocketUpgrade): void {
  upgrades.set(request, upgrade)
}

/**
 * Accepts `request` as a WebSocket served by `session`; return the Response as is.
 * @throws BadRequestError (400) when the request is not a WebSocket upgrade, or
 *   was not received by a server that can upgrade it (the kit's, `serveHttp`).
 * @example app.get('/live', ({ request }) => acceptWebSocket(request, { open: (s) => s.send('hi') }))
 */
export function acceptWebSocket(request: Request, session: WebSocketSession): Response {
  const upgrade = upgrades.get(request)
  if (!isWebSocketUpgrade(request) || !upgrade)
    throw new BadRequestError('This endpoint speaks WebSocket: send an Upgrade: websocket request')
  return upgrade(request, session)
}
