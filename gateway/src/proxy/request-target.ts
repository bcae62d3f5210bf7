/**
 * Parses a request's target once and normalizes its path, so route matching (and
 * with it each route's auth and rate-limit policy) sees the path the upstream will
 * route on, whatever the client's spelling:
 * - origin-form only (RFC 9112 §3.2.1): CONNECT's authority-form, `*`, a missing
 *   Host (HTTP/1.0, or an empty `Host:`) and fragments (`#`, never sent on the
 *   wire by a client that follows RFC 9110 §4.2.5) are rejected;
 * - percent-encoding must be well formed; `%00` anywhere, and an encoded `/` or
 *   `\` in the path, are rejected (Envoy's `path_with_escaped_slashes_action:
 *   REJECT_REQUEST`), since servers disagree on whether they separate segments;
 * - unreserved characters are decoded and other escapes upper-cased
 *   (RFC 3986 §6.2.2.1-2), `//` runs merged, dot segments removed (§5.2.4).
 *
 * Bun itself reduces an absolute-form target (`GET http://other.host/x`) to its
 * path under the Host header, so the gateway never forwards to the named host:
 * it routes that path like any other.
 */

/** The normalized target: `path` for matching, `pathAndQuery` to send upstream. */
export interface RequestTarget {
  path: string
  pathAndQuery: string
}

/** Why a target was refused; answered 400. */
export interface TargetRejection {
  rejected: string
}

/** Anything that may need normalizing: escapes, `//`, a dot segment, a fragment, a control character. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_WORK = /[%#\x00-\x20\x7f]|\/\/|\/\.\.?(?:\/|$)/
/** Control characters and space: never valid in a request target (RFC 9112 §3.2). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL = /[\x00-\x20\x7f]/
const ESCAPE = /%([0-9A-Fa-f]{2})/g
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/
const UNRESERVED = /[A-Za-z0-9\-._~]/

/**
 * @returns the target, or `{ rejected }` with the reason for a 400.
 * @example parseRequestTarget('GET', 'http://api.example/auth/%6cogin/') // { path: '/auth/login/', ... }
 */
export function parseRequestTarget(method: string, url: string): RequestTarget | TargetRejection {
  if (method === 'CONNECT') return { rejected: 'CONNECT is not supported' }
  if (!url.startsWith('http://') && !url.startsWith('https://'))
    return { rejected: 'The request has no Host header' }
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const target = start === -1 ? '/' : url.slice(start)
  if (!NEEDS_WORK.test(target)) {
    const q = target.indexOf('?')
    return { path: q === -1 ? target : target.slice(0, q), pathAndQuery: target }
  }
  if (target.includes('#')) return { rejected: 'The request target has a fragment (#)' }
  if (CONTROL.test(target))
    return { rejected: 'The request target has a control character or space' }
  if (BAD_ESCAPE.test(target)) return { rejected: 'The request target has a malformed %-escape' }
  if (/%00/.test(target)) return { rejected: 'The request target has an encoded NUL (%00)' }
  const q = target.indexOf('?')
  const rawPath = q === -1 ? target : target.slice(0, q)
  if (/%(?:2f|5c)/i.test(rawPath))
    return { rejected: 'The request path has an encoded slash or backslash' }
  const path = removeDotSegments(
    rawPath
      .replace(ESCAPE, (escaped, hex: string) => {
        const c = String.fromCharCode(Number.parseInt(hex, 16))
        return UNRESERVED.test(c) ? c : escaped.toUpperCase()
      })
      .replace(/\/{2,}/g, '/'),
  )
  return { path, pathAndQuery: q === -1 ? path : path + target.slice(q) }
}

/** RFC 3986 §5.2.4 on an absolute path; `..` above the root stays at the root. */
function removeDotSegments(path: string): string {
  const out: string[] = []
  const segments = path.split('/')
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!
    if (s === '..') out.pop()
    else if (s !== '.') out.push(s)
  }
  const last = segments[segments.length - 1]
  // A trailing `.` or `..` leaves a directory path (`/a/b/..` -> `/a/`).
  if ((last === '.' || last === '..') && out[out.length - 1] !== '') out.push('')
  return `/${out.join('/')}`
}
