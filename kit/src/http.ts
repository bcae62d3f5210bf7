/**
 * The Elysia plugin every service and the gateway use: request ids
 * (`x-request-id` accepted or created, echoed on the response), one access-log line
 * per request (method, route, status, duration ms, request id), and one error
 * handler mapping domain errors, validation failures, database errors the input
 * caused (see `store-errors.ts`) and the rest to RFC 9457 problem+json. JSON
 * bodies are parsed with size and depth limits first (see `json-body.ts`). The
 * error handler cannot itself throw: bad input gets a 4xx, never a 5xx.
 */
import { randomUUID } from 'node:crypto'
import { Elysia } from 'elysia'
import { currentRequestId } from './context.ts'
import { AppError, type FieldError, problemResponse } from './errors.ts'
import { defaultJsonBodyLimits, type JsonBodyLimits, parseJsonBody } from './json-body.ts'
import type { Logger } from './logger.ts'
import { pathOfUrl } from './request-path.ts'
import { storeInputError } from './store-errors.ts'
import { type Metrics, methodLabel } from './telemetry/metrics.ts'
import { nameServerSpan, tracingEnabled } from './telemetry/tracing.ts'

export interface HttpDefaultsOptions {
  logger: Logger
  /** Hide internal error messages (production). */
  production: boolean
  /** Size and nesting limits for JSON bodies (defaults: 256 KiB, depth 32). */
  json?: Partial<JsonBodyLimits>
  /** Where request durations are recorded. */
  metrics?: Metrics
}

/**
 * The access log's level for a request: successful ones, and probes, at debug
 * (at info 89% of lines used to be health checks); client errors at info; server
 * errors at warn.
 */
function accessLevel(status: number): 'debug' | 'info' | 'warn' {
  return status >= 500 ? 'warn' : status >= 400 ? 'info' : 'debug'
}

/** What the hooks of one request share: its start (performance.now() ms) and its id. */
interface RequestRecord {
  startedAt: number
  requestId: string
  /** Set once the access line is written: a global hook can run once per app it was applied to. */
  logged: boolean
}
const records = new WeakMap<Request, RequestRecord>()
const REQUEST_ID = /^[\w.:-]{1,128}$/

/** The request id of `request`: its valid `x-request-id`, the ambient one, or a new UUID. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id')
  if (given && REQUEST_ID.test(given)) return given
  return currentRequestId() ?? randomUUID()
}

function fieldErrors(
  all: readonly { path?: string; message?: string; summary?: string }[],
): FieldError[] {
  const seen = new Set<string>()
  const out: FieldError[] = []
  for (const e of all) {
    const field = e.path || '/'
    if (seen.has(field)) continue
    seen.add(field)
    out.push({ field, message: e.summary ?? e.message ?? 'invalid' })
  }
  return out
}

/**
 * Records request durations in `http_server_request_duration_seconds`, one
 * histogram child per method/route/status kept (prom-client hashes the labels on
 * every `observe` otherwise). The label values are bounded: known methods, route
 * templates, status codes.
 */
function durationObserver(metrics: Metrics | undefined) {
  if (!metrics) return undefined
  const children = new Map<string, { observe(seconds: number): void }>()
  return (method: string, route: string, status: number, durationMs: number) => {
    const methodValue = methodLabel(method)
    const key = `${methodValue} ${status} ${route}`
    let child = children.get(key)
    if (!child) {
      child = metrics.httpDuration.labels({
        http_request_method: methodValue,
        http_route: route,
        http_response_status_code: String(status),
      })
      children.set(key, child)
    }
    child.observe(durationMs / 1000)
  }
}

/**
 * @example
 * new Elysia().use(httpDefaults({ logger, production: config.NODE_ENV === 'production' }))
 */
export function httpDefaults(options: HttpDefaultsOptions) {
  const { logger, production } = options
  const jsonLimits = { ...defaultJsonBodyLimits, ...options.json }
  const app = new Elysia({ name: '@civildiy/kit/http-defaults' })
  // Spans are named after the route template only where there are spans: no hook otherwise.
  if (tracingEnabled())
    app.onBeforeHandle({ as: 'global' }, ({ request, route }) =>
      nameServerSpan(request.method, route),
    )
  const observe = durationObserver(options.metrics)
  return app
    .onRequest(({ request, set }) => {
      const requestId = requestIdOf(request)
      records.set(request, { startedAt: performance.now(), requestId, logged: false })
      set.headers['x-request-id'] = requestId
    })
    .derive({ as: 'global' }, ({ request }) => ({
      requestId: records.get(request)?.requestId ?? requestIdOf(request),
    }))
    .onAfterResponse({ as: 'global' }, ({ request, set, route }) => {
      const record = records.get(request)
      if (!record || record.logged) return
      record.logged = true
      const status = typeof set.status === 'number' ? set.status : 200
      const durationMs = performance.now() - record.startedAt
      // Unmatched paths share one label: a client must not mint a series per URL.
      observe?.(request.method, route || 'unmatched', status, durationMs)
      const level = accessLevel(status)
      // Most lines are below the level: build none of them.
      if (!logger.isLevelEnabled(level)) return
      logger[level](
        {
          method: request.method,
          route: route || pathOfUrl(request.url),
          status,
          durationMs: Math.round(durationMs * 100) / 100,
          requestId: record.requestId,
        },
        'request',
      )
    })
    .onParse({ as: 'global' }, async ({ request, contentType }) => {
      // Only JSON is ours to parse; other types fall through to Elysia's parsers.
      if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) return
      return parseJsonBody(await request.text(), jsonLimits)
    })
    .onError({ as: 'global' }, ({ code, error, request, set }) => {
      let response: Response
      try {
        response = errorResponse(code, error, request, logger, production)
      } catch {
        // The handler must not throw: this answer needs nothing from the request.
        response = problemResponse({
          status: 500,
          code: 'internal_error',
          detail: 'An internal error occurred',
        })
      }
      set.status = response.status
      return response
    })
}

/** The problem+json answer for an error raised while handling `request` (RFC 9457). */
function errorResponse(
  code: unknown,
  error: unknown,
  request: Request,
  logger: Logger,
  production: boolean,
): Response {
  const requestId = requestIdOf(request)
  const instance = pathOfUrl(request.url)
  // Elysia wraps what a parser throws in its ParseError; ours are AppErrors.
  const cause = code === 'PARSE' ? (error as Error).cause : undefined
  const known =
    error instanceof AppError ? error : cause instanceof AppError ? cause : storeInputError(error)
  let response: Response
  if (known) {
    response = problemResponse({
      status: known.status,
      code: known.code,
      detail: known.message,
      instance,
      requestId,
      errors: known.extra.errors,
      headers: known.extra.headers,
    })
  } else if (code === 'VALIDATION') {
    const v = error as {
      type: string
      all: { path?: string; message?: string; summary?: string }[]
    }
    const inBody = v.type === 'body'
    response = problemResponse({
      status: inBody ? 422 : 400,
      code: inBody ? 'validation_failed' : 'bad_request',
      detail: inBody ? 'The request body has invalid fields' : `The request ${v.type} is invalid`,
      instance,
      requestId,
      errors: fieldErrors(v.all),
    })
  } else if (code === 'PARSE' || code === 'INVALID_COOKIE_SIGNATURE') {
    response = problemResponse({
      status: 400,
      code: 'bad_request',
      detail: 'The request could not be parsed',
      instance,
      requestId,
    })
  } else if (code === 'NOT_FOUND') {
    response = problemResponse({
      status: 404,
      code: 'not_found',
      detail: `No route for ${request.method} ${instance}`,
      instance,
      requestId,
    })
  } else {
    logger.error({ err: error, requestId }, 'unhandled error')
    const detail = production
      ? 'An internal error occurred'
      : String((error as Error)?.message ?? error)
    response = problemResponse({ status: 500, code: 'internal_error', detail, instance, requestId })
  }
  response.headers.set('x-request-id', requestId)
  return response
}
