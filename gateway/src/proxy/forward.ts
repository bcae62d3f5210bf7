/**
 * Forwards one request to an instance of its route's service and streams the
 * answer back: bodies are never buffered in either direction, upstream
 * keep-alive connections are reused (Bun's fetch pool), and failures follow the
 * route's policy:
 * - timeout (until response headers) → 504;
 * - connection error → retried on another instance when the method is idempotent
 *   and there is no body to replay, within the retry budget; else 502;
 * - 502/503/504 from an upstream → retried under the same rules; else passed on;
 * - no available instance → 503.
 * Gateway-made errors are problem+json naming the route, never an internal address.
 */
import { problemResponse } from '@civildiy/kit'
import type { InstanceDirectory } from '../discovery/instance-directory.ts'
import type { Route } from '../routes/route-table.ts'
import type { Balancer } from '../upstream/balancer.ts'
import { type ForwardedFor, stripHopByHop, upstreamHeaders } from './headers.ts'
import type { RetryBudget } from './retry-budget.ts'

/** RFC 9110 §9.2.2 idempotent methods. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
const RETRYABLE_STATUS = new Set([502, 503, 504])

export interface ForwardDeps {
  directory: InstanceDirectory
  balancer: Balancer
  budget: RetryBudget
}

/** What happened, for the access log and tests. */
export interface ForwardResult {
  response: Response
  /** Ids of the instances tried, in order. */
  tried: string[]
  /** Why the gateway answered itself, if it did. */
  failure?: 'timeout' | 'unreachable' | 'no_instance' | 'body_too_large'
}

class BodyTooLargeError extends Error {}

/**
 * Passes the body through, erroring once more than `max` bytes went by. Pull-based
 * with no queue (highWaterMark 0), so the client is read only as fast as the
 * upstream takes the bytes.
 */
function limitBody(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let seen = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read()
        if (done) return controller.close()
        seen += value.byteLength
        if (seen > max) {
          controller.error(new BodyTooLargeError())
          await reader.cancel()
        } else controller.enqueue(value)
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}

/** The path and query of a request URL, without parsing the whole URL. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  return start === -1 ? '/' : url.slice(start)
}

function fullJitter(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt)
}

function problem(f: ForwardedFor, status: number, code: string, detail: string): Response {
  return problemResponse({ status, code, detail, requestId: f.requestId })
}

function tooLarge(route: Route, f: ForwardedFor, tried: string[]): ForwardResult {
  return {
    response: problem(
      f,
      413,
      'body_too_large',
      `Request bodies on ${route.prefix} are limited to ${route.maxBodyBytes} bytes`,
    ),
    tried,
    failure: 'body_too_large',
  }
}

const NOTHING_TRIED: ReadonlySet<string> = new Set()

/**
 * @example
 * const { response } = await forward(request, table.match('/feed')!, forwardedFor, { directory, balancer, budget })
 */
export async function forward(
  request: Request,
  route: Route,
  f: ForwardedFor,
  d: ForwardDeps,
): Promise<ForwardResult> {
  const tried: string[] = []
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > route.maxBodyBytes) return tooLarge(route, f, tried)
  const body =
    request.body && declared === null ? limitBody(request.body, route.maxBodyBytes) : request.body
  const canRetry = body === null && IDEMPOTENT.has(request.method)
  const headers = upstreamHeaders(request.headers, f)
  const pathAndQuery = pathOf(request.url)
  d.budget.request()
  for (let attempt = 0; ; attempt++) {
    // Only a retry needs to know what was tried; the first attempt allocates nothing for it.
    const instance = d.balancer.pick(
      d.directory.instances(route.service),
      attempt === 0 ? NOTHING_TRIED : new Set(tried),
    )
    if (!instance) {
      return {
        response: problem(
          f,
          tried.length ? 502 : 503,
          tried.length ? 'upstream_unreachable' : 'no_healthy_instance',
          tried.length
            ? `No instance of the ${route.service} service (route ${route.prefix}) could be reached`
            : `No healthy instance of the ${route.service} service (route ${route.prefix})`,
        ),
        tried,
        failure: tried.length ? 'unreachable' : 'no_instance',
      }
    }
    tried.push(instance.id)
    // One controller and timer per attempt; the client leaving cancels the response
    // body, which closes the upstream stream too.
    const timeout = route.timeoutMs > 0 ? new AbortController() : undefined
    const timer = timeout ? setTimeout(() => timeout.abort(), route.timeoutMs) : undefined
    try {
      const upstream = await fetch(instance.url + pathAndQuery, {
        method: request.method,
        headers,
        body,
        redirect: 'manual',
        signal: timeout?.signal,
        decompress: false,
        // Fetch streams a ReadableStream body only in half-duplex mode (Fetch spec).
        duplex: 'half',
      })
      clearTimeout(timer)
      d.balancer.settle(instance, upstream.status < 500)
      if (!RETRYABLE_STATUS.has(upstream.status) || !mayRetry(canRetry, attempt, route, d)) {
        // Bun's fetch responses are mutable and streamed: pass the upstream's on as is.
        stripHopByHop(upstream.headers)
        return { response: upstream, tried }
      }
      await upstream.body?.cancel()
    } catch (err) {
      clearTimeout(timer)
      if (err instanceof BodyTooLargeError || (err as Error).cause instanceof BodyTooLargeError) {
        d.balancer.settle(instance, true)
        return tooLarge(route, f, tried)
      }
      d.balancer.settle(instance, false)
      if (timeout?.signal.aborted) {
        return {
          response: problem(
            f,
            504,
            'upstream_timeout',
            `The ${route.service} service (route ${route.prefix}) did not answer within ${route.timeoutMs} ms`,
          ),
          tried,
          failure: 'timeout',
        }
      }
      if (!mayRetry(canRetry, attempt, route, d)) {
        return {
          response: problem(
            f,
            502,
            'upstream_unreachable',
            `The ${route.service} service (route ${route.prefix}) could not be reached`,
          ),
          tried,
          failure: 'unreachable',
        }
      }
    }
    await Bun.sleep(fullJitter(attempt, route.retryPolicy.baseMs, route.retryPolicy.capMs))
  }
}

/** Whether another attempt is allowed: idempotent and bodiless, attempts left, and budget. */
function mayRetry(canRetry: boolean, attempt: number, route: Route, d: ForwardDeps): boolean {
  return canRetry && attempt < route.retryPolicy.attempts && d.budget.tryRetry()
}
