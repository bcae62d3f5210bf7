/**
 * Header rules for forwarding: hop-by-hop headers never cross the proxy
 * (RFC 9110 §7.6.1), and headers only the gateway may set are removed from what
 * clients send, so an upstream can trust them.
 */

/** Hop-by-hop headers (RFC 9110 §7.6.1, plus the de-facto `keep-alive` and `proxy-connection`). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]

/** Headers the gateway sets itself; a client's copies are dropped. */
export const INTERNAL_HEADERS = [
  'x-user-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
]

/** Removes hop-by-hop headers, including those the Connection header names. */
export function stripHopByHop(headers: Headers): Headers {
  const named = headers.get('connection')
  if (named) for (const h of named.split(',')) headers.delete(h.trim())
  for (const h of HOP_BY_HOP) headers.delete(h)
  return headers
}

export interface ForwardedFor {
  clientAddress: string
  proto: string
  host: string
  requestId: string
  userId?: string
}

/**
 * The headers to send upstream: the client's, minus hop-by-hop and internal ones,
 * plus `X-Forwarded-For/Proto/Host`, `x-request-id` and (for a verified token) `x-user-id`.
 * @example upstreamHeaders(request.headers, { clientAddress: '203.0.113.9', proto: 'https', host: 'api.example', requestId })
 */
export function upstreamHeaders(incoming: Headers, f: ForwardedFor): Headers {
  const headers = stripHopByHop(new Headers(incoming))
  for (const h of INTERNAL_HEADERS) headers.delete(h)
  headers.delete('host')
  headers.set('x-forwarded-for', f.clientAddress)
  headers.set('x-forwarded-proto', f.proto)
  headers.set('x-forwarded-host', f.host)
  headers.set('x-request-id', f.requestId)
  if (f.userId) headers.set('x-user-id', f.userId)
  return headers
}
