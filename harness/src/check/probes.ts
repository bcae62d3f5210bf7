/**
 * Network probes shared by `check` and `doctor`: TCP connect with the failure
 * named the way an operator thinks of it, and an HTTP GET with its time.
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'

export type ConnectFailure =
  | 'refused'
  | 'timeout'
  | 'no route'
  | 'does not resolve'
  | 'reset'
  | 'error'

export interface ConnectResult {
  ok: boolean
  ms: number
  failure?: ConnectFailure
  /** The OS error code, e.g. ECONNREFUSED. */
  code?: string
}

/** The operator's name for a socket error code. */
export function connectFailure(code: string | undefined): ConnectFailure {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused'
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return 'timeout'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'no route'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'does not resolve'
    case 'ECONNRESET':
      return 'reset'
    default:
      return 'error'
  }
}

/**
 * Whether this network namespace has an IPv4 route covering `ip` (from
 * /proc/net/route); null when unknown (not IPv4, or no /proc).
 */
export function hasIpv4Route(ip: string): boolean | null {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return null
  let table: string
  try {
    table = readFileSync('/proc/net/route', 'utf8')
  } catch {
    return null
  }
  // /proc/net/route prints addresses as little-endian hex.
  const addr = (parts[3]! << 24) | (parts[2]! << 16) | (parts[1]! << 8) | parts[0]!
  for (const line of table.split('\n').slice(1)) {
    const [, destination, , , , , , mask] = line.trim().split(/\s+/)
    if (!destination || !mask) continue
    const d = Number.parseInt(destination, 16)
    const m = Number.parseInt(mask, 16)
    if ((addr & m) >>> 0 === d >>> 0) return true
  }
  return false
}

/**
 * Opens (and closes) a TCP connection to host:port. Bun reports an unroutable
 * address as ECONNREFUSED; the routing table tells the two apart.
 * @example await tcpConnect('10.0.3.15', 3001, 2_000) // { ok: true, ms: 0.4 }
 */
export function tcpConnect(host: string, port: number, timeoutMs = 2_000): Promise<ConnectResult> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (r: Omit<ConnectResult, 'ms'>) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ ...r, ms: performance.now() - t0 })
    }
    const timer = setTimeout(
      () => done({ ok: false, failure: 'timeout', code: 'TIMEOUT' }),
      timeoutMs,
    )
    socket.once('connect', () => done({ ok: true }))
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const failure =
        err.code === 'ECONNREFUSED' && hasIpv4Route(host) === false
          ? 'no route'
          : connectFailure(err.code)
      done({ ok: false, failure, code: err.code })
    })
  })
}

export interface HttpResult {
  ok: boolean
  status?: number
  ms: number
  error?: string
}

/** PEM text for HTTPS probes: the CA that signs the instances, and a client certificate if they require one. */
export interface ProbeTls {
  ca?: string
  cert?: string
  key?: string
}

/** GET `url` with a timeout; `ok` when the status is 2xx. */
export async function httpGet(url: string, timeoutMs = 3_000, tls?: ProbeTls): Promise<HttpResult> {
  const t0 = performance.now()
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(tls && url.startsWith('https:') ? { tls } : {}),
    })
    await res.arrayBuffer()
    return { ok: res.ok, status: res.status, ms: performance.now() - t0 }
  } catch (err) {
    return { ok: false, ms: performance.now() - t0, error: (err as Error).message }
  }
}

/** Whether an address is loopback (reachable only from its own host or namespace). */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost'
}

/**
 * The PEM files `--tls-ca`, `--tls-cert` and `--tls-key` name (default the kit's
 * TLS_CA_FILE, TLS_CERT_FILE and TLS_KEY_FILE), read; undefined when none is named.
 * @throws when a named file cannot be read.
 */
export function probeTlsFromFlags(v: Record<string, unknown>): ProbeTls | undefined {
  const file = (flag: string, variable: string) =>
    (v[flag] as string | undefined) ?? process.env[variable]
  const ca = file('tls-ca', 'TLS_CA_FILE')
  const cert = file('tls-cert', 'TLS_CERT_FILE')
  const key = file('tls-key', 'TLS_KEY_FILE')
  if (!ca && !cert) return undefined
  return {
    ...(ca ? { ca: readFileSync(ca, 'utf8') } : {}),
    ...(cert && key ? { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') } : {}),
  }
}

/** The flags of probeTlsFromFlags, for parseArgs. */
export const TLS_FLAGS = {
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const

/** Usage lines of the TLS flags. */
export const TLS_USAGE = `  --tls-ca FILE       the CA of instances registered as HTTPS (default: TLS_CA_FILE)
  --tls-cert FILE --tls-key FILE   a client certificate for instances that require one
                      (default: TLS_CERT_FILE, TLS_KEY_FILE)`
