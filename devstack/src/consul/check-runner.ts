/**
 * Runs HTTP and TCP checks at their interval with their timeout, and expires TTL
 * checks that are not refreshed, reporting results the way Consul does:
 * HTTP 2xx is passing, 429 warning, anything else (or no answer) critical; a TCP
 * connect that succeeds is passing. Source:
 * https://developer.hashicorp.com/consul/docs/services/usage/checks
 *
 * Unlike Consul, which waits a random part of the interval before a check's first
 * run, the first run starts at once, so a service can be passing within
 * milliseconds of registering.
 */
import type { CheckDefinition, CheckStatus } from './model.ts'

/** Where check results go. */
export type ReportCheck = (checkId: string, status: CheckStatus, output: string) => void

const MAX_OUTPUT = 4 * 1024

export class CheckRunner {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly inFlight = new Map<string, AbortController>()

  constructor(private readonly report: ReportCheck) {}

  /** Starts running (or, for TTL checks, timing) a check. Restarts it if it was running. */
  start(def: CheckDefinition): void {
    this.stop(def.CheckID)
    if (def.type === 'ttl') {
      this.armTtl(def)
      return
    }
    const run = async () => {
      const ctl = new AbortController()
      this.inFlight.set(def.CheckID, ctl)
      const result =
        def.type === 'http' ? await httpCheck(def, ctl.signal) : await tcpCheck(def, ctl.signal)
      if (ctl.signal.aborted) return
      this.inFlight.delete(def.CheckID)
      this.report(def.CheckID, result.status, result.output)
      this.timers.set(def.CheckID, setTimeout(run, def.intervalMs))
    }
    void run()
  }

  /** A TTL check was updated: its TTL starts again. */
  refreshTtl(def: CheckDefinition): void {
    if (def.type === 'ttl') this.armTtl(def)
  }

  stop(checkId: string): void {
    clearTimeout(this.timers.get(checkId))
    this.timers.delete(checkId)
    this.inFlight.get(checkId)?.abort()
    this.inFlight.delete(checkId)
  }

  stopAll(): void {
    for (const id of [...this.timers.keys(), ...this.inFlight.keys()]) this.stop(id)
  }

  private armTtl(def: CheckDefinition): void {
    clearTimeout(this.timers.get(def.CheckID))
    this.timers.set(
      def.CheckID,
      setTimeout(() => this.report(def.CheckID, 'critical', 'TTL expired'), def.ttlMs),
    )
  }
}

async function httpCheck(
  def: CheckDefinition,
  signal: AbortSignal,
): Promise<{ status: CheckStatus; output: string }> {
  const { url, method, header, body } = def.http!
  const headers = new Headers()
  for (const [k, values] of Object.entries(header)) for (const v of values) headers.append(k, v)
  if (!headers.has('user-agent')) headers.set('user-agent', 'Consul Health Check')
  try {
    const res = await fetch(url, {
      method,
      headers,
      body: body || undefined,
      redirect: 'follow',
      signal: AbortSignal.any([signal, AbortSignal.timeout(def.timeoutMs)]),
    })
    const text = (await res.text()).slice(0, MAX_OUTPUT)
    const status: CheckStatus =
      res.status >= 200 && res.status < 300
        ? 'passing'
        : res.status === 429
          ? 'warning'
          : 'critical'
    return {
      status,
      output: `HTTP ${method} ${url}: ${res.status} ${res.statusText} Output: ${text}`,
    }
  } catch (err) {
    const e = err as Error
    const reason =
      e.name === 'TimeoutError'
        ? `context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
        : e.message
    return { status: 'critical', output: `${method} "${url}": ${reason}` }
  }
}

async function tcpCheck(
  def: CheckDefinition,
  signal: AbortSignal,
): Promise<{ status: CheckStatus; output: string }> {
  const target = def.tcp!
  const at = target.lastIndexOf(':')
  const hostname = target.slice(0, at).replace(/^\[|\]$/g, '')
  const port = Number(target.slice(at + 1))
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('i/o timeout')), def.timeoutMs)
      signal.addEventListener('abort', () => reject(new Error('aborted')))
      Bun.connect({
        hostname,
        port,
        socket: {
          open(s) {
            clearTimeout(timer)
            s.end()
            resolve()
          },
          data() {},
          connectError(_s, error) {
            clearTimeout(timer)
            reject(error)
          },
        },
      }).catch((error: Error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
    return { status: 'passing', output: `TCP connect ${target}: Success` }
  } catch (err) {
    return { status: 'critical', output: `dial tcp ${target}: ${(err as Error).message}` }
  }
}
