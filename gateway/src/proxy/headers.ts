/**
 * Header rules for forwarding: hop-by-hop headers never cross the proxy
 * (RFC 9110 §7.6.1), and headers only the gateway may set are removed from what
 * clients send, so an upstream can trust them.
 */

/** Hop-by-hop headers (RFC 9110 §7.6.1, plus the de-facto `keep-alive` and `proxy-connection`). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

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

/** What never goes upstream as the client sent it (`host` is the upstream's own). */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, ...INTERNAL_HEADERS, 'host'])

/** The header names a Connection header lists (RFC 9110 §7.6.1), lower-cased. */
function connectionNamed(headers: Headers): Set<string> | undefined {
  const named = headers.get('connection')
  return named ? new Set(named.split(',').map((h) => h.trim().toLowerCase())) : undefined
}

/**
 * Removes hop-by-hop headers, including those the Connection header names.
 * Reads the names once and deletes only what is there: most responses have none.
 */
export function stripHopByHop(headers: Headers): Headers {
  const present = [...headers.keys()].filter((name) => HOP_BY_HOP.has(name))
  if (present.length === 0) return headers
  for (const name of connectionNamed(headers) ?? []) headers.delete(name)
  for (const name of present) headers.delete(name)
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
 * Built in one pass into a plain record (repeated request headers arrive joined
 * with ", ", as RFC 9110 §5.3 allows): cheaper per request than copying a Headers
 * and deleting from it.
 * @example upstreamHeaders(request.headers, { clientAddress: '203.0.113.9', proto: 'https', host: 'api.example', requestId })
 */
export function upstreamHeaders(incoming: Headers, f: ForwardedFor): Record<string, string> {
  const named = incoming.has('connection') ? connectionNamed(incoming) : undefined
  // No prototype: a client's `__proto__` header is then a header like any other.
  const headers: Record<string, string> = Object.create(null)
  for (const [name, value] of incoming) {
    if (!NOT_FORWARDED.has(name) && !named?.has(name)) headers[name] = value
  }
  headers['x-forwarded-for'] = f.clientAddress
  headers['x-forwarded-proto'] = f.proto
  headers['x-forwarded-host'] = f.host
  headers['x-request-id'] = f.requestId
  if (f.userId) headers['x-user-id'] = f.userId
  return headers
}
