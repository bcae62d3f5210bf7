/**
 * Forwards one request to an instance of its route's service and streams the
 * answer back: bodies are never buffered in either direction, upstream
 * keep-alive connections are reused (Bun's fetch pool), and failures follow the
 * route's policy:
 * - timeout (until response headers) → 504, or 408 when the client had not
 *   finished sending its body (the client's fault, not held against the upstream);
 * - connection error → retried on another instance when the method is idempotent
 *   and there is no body to replay, within the retry budget; else 502;
 * - 502/503/504 from an upstream → retried under the same rules;
 * - any other 5xx, or the last one → the gateway's own problem+json with the
 *   same status (an upstream's error text never reaches the client);
 * - a Content-Length that is not one number (repeated fields) → 400;
 * - no available instance → 503.
 * Each attempt's outcome is reported to the balancer, which alone decides on
 * ejection (see `upstream/instance-health.ts`).
 * Gateway-made errors are problem+json naming the route, never an internal address.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { clientSpan, problemResponse, runtimeName, tracingEnabled } from '@civildiy/kit'
import type { InstanceDirectory } from '../discovery/instance-directory.ts'
import type { Route } from '../routes/route-table.ts'
import type { Balancer } from '../upstream/balancer.ts'
import type { Outcome } from '../upstream/instance-health.ts'
import { type ForwardedFor, stripHopByHop, upstreamHeaders } from './headers.ts'
import type { RetryBudget } from './retry-budget.ts'
import type { UpstreamTls } from './upstream-tls.ts'

/** RFC 9110 §9.2.2 idempotent methods. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
const RETRYABLE_STATUS = new Set([502, 503, 504])

export interface ForwardDeps {
  directory: InstanceDirectory
  balancer: Balancer
  budget: RetryBudget
  /** TLS options for HTTPS upstreams (see upstream-tls.ts); the runtime's defaults without. */
  upstreamTls?: () => UpstreamTls
}

/** What happened, for the access log and tests. */
export interface ForwardResult {
  response: Response
  /** Ids of the instances tried, in order. */
  tried: string[]
  /** Why the gateway answered itself, if it did. */
  failure?:
    | 'timeout'
    | 'unreachable'
    | 'no_instance'
    | 'body_too_large'
    | 'bad_request'
    | 'client_body'
}

class BodyTooLargeError extends Error {}

/** How far the client's body got: `done` once the upstream has taken all of it. */
interface BodyProgress {
  done: boolean
  /** The client's stream failed (it went away, or its framing broke). */
  clientFailed: boolean
  /** The body passed the route's limit (and the stream to the upstream was errored). */
  tooLarge?: boolean
  /** Whether the whole body had been sent when the route's timeout ran out. */
  sentAtTimeout?: boolean
}

/**
 * Passes the body through, erroring once more than `max` bytes went by. Pull-based
 * with no queue (highWaterMark 0), so the client is read only as fast as the
 * upstream takes the bytes. `progress` says whether the whole body was sent, so a
 * client that sends slowly or goes away is never counted against the upstream.
 */
function trackBody(
  body: ReadableStream<Uint8Array>,
  max: number,
  progress: BodyProgress,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let seen = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await reader.read()
        } catch (err) {
          progress.clientFailed = true
          return controller.error(err)
        }
        if (chunk.done) {
          progress.done = true
          return controller.close()
        }
        seen += chunk.value.byteLength
        if (seen > max) {
          progress.tooLarge = true
          controller.error(new BodyTooLargeError())
          await reader.cancel()
        } else controller.enqueue(chunk.value)
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}

function fullJitter(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt)
}

function problem(
  f: ForwardedFor,
  status: number,
  code: string,
  detail: string,
  headers?: Record<string, string>,
): Response {
  return problemResponse({ status, code, detail, requestId: f.requestId, headers })
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

/**
 * What an upstream's answer says about its health. A 503 with Retry-After is load
 * shed on purpose (the upstream is working as designed), so it is not held against it.
 */
export function outcomeOf(upstream: Response): Outcome {
  const status = upstream.status
  if (status < 500) return SUCCESS
  if (status === 503 && upstream.headers.has('retry-after')) return NEUTRAL
  if (status <= 504) return FAILED_5XX
  return NEUTRAL
}

const SUCCESS: Outcome = { kind: 'success' }
const NEUTRAL: Outcome = { kind: 'neutral' }
const FAILED_5XX: Outcome = { kind: 'failure', reason: 'upstream_5xx' }
const NOTHING_TRIED: ReadonlySet<string> = new Set()
const DECIMAL = /^\d{1,15}$/

/**
 * @example
 * const { response } = await forward(request, table.match('/feed')!, '/feed?limit=5', forwardedFor, { directory, balancer, budget })
 */
export async function forward(
  request: Request,
  route: Route,
  pathAndQuery: string,
  f: ForwardedFor,
  d: ForwardDeps,
): Promise<ForwardResult> {
  const tried: string[] = []
  const declared = request.headers.get('content-length')
  // Bun joins repeated Content-Length fields ("5, 5"); RFC 9112 §6.3 lets a proxy refuse them.
  if (declared !== null && !DECIMAL.test(declared)) {
    return {
      response: problem(f, 400, 'bad_request', 'The Content-Length header is not one number'),
      tried,
      failure: 'bad_request',
    }
  }
  if (declared !== null && Number(declared) > route.maxBodyBytes) return tooLarge(route, f, tried)
  const progress: BodyProgress = { done: request.body === null, clientFailed: false }
  const body = request.body && trackBody(request.body, route.maxBodyBytes, progress)
  const canRetry = body === null && IDEMPOTENT.has(request.method)
  const headers = upstreamHeaders(request.headers, f)
  d.budget.request()
  // The last retryable answer, returned if no other instance is left to try.
  let lastAnswer: Response | undefined
  for (let attempt = 0; ; attempt++) {
    // Only a retry needs to know what was tried; the first attempt allocates nothing for it.
    const instance = d.balancer.pick(
      d.directory.instances(route.service),
      attempt === 0 ? NOTHING_TRIED : new Set(tried),
      route.prefix,
    )
    if (!instance) return lastAnswer ? { response: lastAnswer, tried } : noInstance(route, f, tried)
    tried.push(instance.id)
    // One controller and timer per attempt; the client leaving cancels the response
    // body, which closes the upstream stream too.
    const timeout = route.timeoutMs > 0 ? new AbortController() : undefined
    const timer = timeout
      ? setTimeout(() => {
          // Read before aborting: the abort cancels the body, which ends its reads.
          progress.sentAtTimeout = progress.done
          timeout.abort()
        }, route.timeoutMs)
      : undefined
    try {
      const send = () =>
        fetch(instance.url + pathAndQuery, {
          method: request.method,
          headers,
          body,
          redirect: 'manual',
          signal: timeout?.signal,
          decompress: false,
          // Fetch streams a ReadableStream body only in half-duplex mode (Fetch spec).
          duplex: 'half',
          ...(d.upstreamTls && instance.url.startsWith('https:') ? d.upstreamTls() : {}),
        })
      // With tracing off this is the bare fetch: the hot path pays nothing for it.
      const upstream = tracingEnabled()
        ? await clientSpan(
            request.method,
            {
              'server.address': instance.address,
              'server.port': instance.port,
              'peer.service': route.service,
            },
            headers,
            async (span) => {
              const res = await send()
              span.setAttribute('http.response.status_code', res.status)
              return res
            },
          )
        : await send()
      clearTimeout(timer)
      // An upstream may answer before it read the whole body (a 422 without parsing
      // it, seen on Deno). Once the client's body failed or passed the limit, the
      // answer is about the client, whatever the upstream said.
      if (progress.tooLarge || progress.clientFailed) {
        await upstream.body?.cancel()
        d.balancer.settle(instance, NEUTRAL, route.prefix)
        return progress.tooLarge
          ? tooLarge(route, f, tried)
          : clientFailure(route, f, tried, progress, false)!
      }
      d.balancer.settle(instance, outcomeOf(upstream), route.prefix)
      if (!RETRYABLE_STATUS.has(upstream.status) || !mayRetry(canRetry, attempt, route, d)) {
        if (upstream.status >= 500)
          return { response: await upstreamProblem(upstream, route, f), tried }
        return { response: passOn(upstream), tried }
      }
      lastAnswer = await upstreamProblem(upstream, route, f)
    } catch {
      clearTimeout(timer)
      // The flag, not the error: Deno's fetch rejects with a TypeError of its own.
      if (progress.tooLarge) {
        d.balancer.settle(instance, NEUTRAL, route.prefix)
        return tooLarge(route, f, tried)
      }
      const clientFault = clientFailure(route, f, tried, progress, timeout?.signal.aborted === true)
      if (clientFault) {
        d.balancer.settle(instance, NEUTRAL, route.prefix)
        return clientFault
      }
      const timedOut = timeout?.signal.aborted === true
      d.balancer.settle(
        instance,
        { kind: 'failure', reason: timedOut ? 'timeout' : 'connect_failure' },
        route.prefix,
      )
      if (timedOut) {
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
      lastAnswer = undefined
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
    await sleep(fullJitter(attempt, route.retryPolicy.baseMs, route.retryPolicy.capMs))
  }
}

function noInstance(route: Route, f: ForwardedFor, tried: string[]): ForwardResult {
  const any = tried.length > 0
  return {
    response: problem(
      f,
      any ? 502 : 503,
      any ? 'upstream_unreachable' : 'no_healthy_instance',
      any
        ? `No instance of the ${route.service} service (route ${route.prefix}) could be reached`
        : `No healthy instance of the ${route.service} service (route ${route.prefix})`,
    ),
    tried,
    failure: any ? 'unreachable' : 'no_instance',
  }
}

/**
 * The answer when an attempt failed because of the client: its body stream broke
 * (400), or it had not finished sending the body when the route's timeout ran
 * out (408, RFC 9110 §15.5.9). Undefined when the upstream is to blame.
 */
function clientFailure(
  route: Route,
  f: ForwardedFor,
  tried: string[],
  progress: BodyProgress,
  timedOut: boolean,
): ForwardResult | undefined {
  if (progress.clientFailed) {
    const response = problem(
      f,
      400,
      'incomplete_body',
      'The request body ended before it was complete',
    )
    return { response, tried, failure: 'client_body' }
  }
  if (timedOut && progress.sentAtTimeout === false) {
    const response = problem(
      f,
      408,
      'request_timeout',
      `The request body was not received within ${route.timeoutMs} ms (route ${route.prefix})`,
      { connection: 'close' },
    )
    return { response, tried, failure: 'client_body' }
  }
  return undefined
}

/** The most of an upstream's error body read to find its `code`, bytes. */
const ERROR_BODY_LIMIT = 16 * 1024
const PROBLEM_CODE = /^[a-z][a-z0-9_]{0,63}$/

/**
 * The gateway's own problem+json for an upstream's 5xx: same status, the
 * upstream's `code` when it sent a problem document, `Retry-After` kept, and a
 * detail naming the route, never the upstream's text (which can carry internal
 * addresses, stack traces or database messages).
 */
async function upstreamProblem(upstream: Response, route: Route, f: ForwardedFor) {
  let code = upstream.status === 503 ? 'service_unavailable' : 'upstream_error'
  const type = upstream.headers.get('content-type') ?? ''
  const length = Number(upstream.headers.get('content-length') ?? ERROR_BODY_LIMIT)
  if (type.includes('json') && length <= ERROR_BODY_LIMIT) {
    const parsed = await upstream.json().catch(() => undefined)
    const given = (parsed as { code?: unknown } | undefined)?.code
    if (typeof given === 'string' && PROBLEM_CODE.test(given)) code = given
  } else await upstream.body?.cancel()
  const retryAfter = upstream.headers.get('retry-after')
  return problem(
    f,
    upstream.status,
    code,
    upstream.status === 503
      ? `The ${route.service} service (route ${route.prefix}) is unavailable; retry later`
      : `The ${route.service} service (route ${route.prefix}) failed to answer`,
    retryAfter && /^\d{1,6}$/.test(retryAfter) ? { 'retry-after': retryAfter } : undefined,
  )
}

/** Whether another attempt is allowed: idempotent and bodiless, attempts left, and budget. */
function mayRetry(canRetry: boolean, attempt: number, route: Route, d: ForwardDeps): boolean {
  return canRetry && attempt < route.retryPolicy.attempts && d.budget.tryRetry()
}

/**
 * Bun's fetch responses have mutable headers, so the upstream's response is passed
 * on as is (streamed). Elsewhere (Deno) they are immutable, as the Fetch spec
 * says, so the same body stream goes out in a new Response with a copy of them.
 */
const fetchHeadersMutable = runtimeName() === 'bun'

/** The upstream's response, streamed, without hop-by-hop headers and with headers the gateway can add to. */
function passOn(upstream: Response): Response {
  if (fetchHeadersMutable) {
    stripHopByHop(upstream.headers)
    return upstream
  }
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: stripHopByHop(new Headers(upstream.headers)),
  })
}
