/**
 * The Elysia plugin every service and the gateway use: request ids
 * (`x-request-id` accepted or created, echoed on the response), one access-log line
 * per request (method, route, status, duration ms, request id), and one error
 * handler mapping domain errors, validation failures and the rest to RFC 9457
 * problem+json.
 */
import { randomUUID } from 'node:crypto'
import { Elysia } from 'elysia'
import { currentRequestId } from './context.ts'
import { AppError, type FieldError, problemResponse } from './errors.ts'
import type { Logger } from './logger.ts'

export interface HttpDefaultsOptions {
  logger: Logger
  /** Hide internal error messages (production). */
  production: boolean
}

const started = new WeakMap<Request, number>()
// A global hook can run once per app it was applied to; log each request once.
const logged = new WeakSet<Request>()
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
 * @example
 * new Elysia().use(httpDefaults({ logger, production: config.NODE_ENV === 'production' }))
 */
export function httpDefaults(options: HttpDefaultsOptions) {
  const { logger, production } = options
  return new Elysia({ name: '@civildiy/kit/http-defaults' })
    .onRequest(({ request, set }) => {
      started.set(request, performance.now())
      set.headers['x-request-id'] = requestIdOf(request)
    })
    .derive({ as: 'global' }, ({ request }) => ({ requestId: requestIdOf(request) }))
    .onAfterResponse({ as: 'global' }, ({ request, set, route }) => {
      if (logged.has(request)) return
      logged.add(request)
      const t0 = started.get(request)
      logger.info(
        {
          method: request.method,
          route: route || new URL(request.url).pathname,
          status: typeof set.status === 'number' ? set.status : 200,
          durationMs:
            t0 === undefined ? undefined : Math.round((performance.now() - t0) * 100) / 100,
          requestId: requestIdOf(request),
        },
        'request',
      )
    })
    .onError({ as: 'global' }, ({ code, error, request, set }) => {
      const requestId = requestIdOf(request)
      const instance = new URL(request.url).pathname
      let response: Response
      if (error instanceof AppError) {
        response = problemResponse({
          status: error.status,
          code: error.code,
          detail: error.message,
          instance,
          requestId,
          errors: error.extra.errors,
          headers: error.extra.headers,
        })
      } else if (code === 'VALIDATION') {
        const inBody = error.type === 'body'
        response = problemResponse({
          status: inBody ? 422 : 400,
          code: inBody ? 'validation_failed' : 'bad_request',
          detail: inBody
            ? 'The request body has invalid fields'
            : `The request ${error.type} is invalid`,
          instance,
          requestId,
          errors: fieldErrors(error.all),
        })
      } else if (code === 'PARSE') {
        response = problemResponse({
          status: 400,
          code: 'bad_request',
          detail: 'The request body could not be parsed',
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
        response = problemResponse({
          status: 500,
          code: 'internal_error',
          detail,
          instance,
          requestId,
        })
      }
      set.status = response.status
      response.headers.set('x-request-id', requestId)
      return response
    })
}
