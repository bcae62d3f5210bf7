/**
 * Domain errors with a string `code` and an HTTP `status`, and their mapping to
 * RFC 9457 problem details (`application/problem+json`).
 * Source: https://www.rfc-editor.org/rfc/rfc9457
 */

/** One invalid field, for 400/422 answers. */
export interface FieldError {
  /** JSON pointer to the field, e.g. `/email`. */
  field: string
  message: string
}

/**
 * Base of every error a service throws on purpose. The handler turns it into a
 * problem+json response with its status; anything else becomes a 500 whose detail
 * is hidden in production.
 */
export class AppError extends Error {
  override name = 'AppError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message)
  }
}

/** 400: the request is malformed (unparseable body, bad query). */
export class BadRequestError extends AppError {
  constructor(message: string, errors?: FieldError[]) {
    super(400, 'bad_request', message, { errors })
  }
}

/** 401: no valid credentials. Carries `WWW-Authenticate: Bearer` (RFC 6750). */
export class UnauthorizedError extends AppError {
  constructor(
    message = 'Authentication required',
    bearerError?: 'invalid_token' | 'invalid_request',
  ) {
    const challenge = bearerError
      ? `Bearer error="${bearerError}", error_description="${message.replace(/"/g, "'")}"`
      : 'Bearer'
    super(401, 'unauthorized', message, { headers: { 'www-authenticate': challenge } })
  }
}

/** 403: authenticated, but not allowed to do this. */
export class ForbiddenError extends AppError {
  constructor(message = 'You may not do this') {
    super(403, 'forbidden', message)
  }
}

/** 404: the resource does not exist. */
export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`)
  }
}

/** 409: conflicts with the current state (duplicate, already done). */
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message)
  }
}

/** 422: well-formed but semantically invalid input, with per-field errors. */
export class ValidationError extends AppError {
  constructor(errors: FieldError[], message = 'The request has invalid fields') {
    super(422, 'validation_failed', message, { errors })
  }
}

/** A problem details document (RFC 9457 §3) with our `code` and `errors` extensions. */
export interface ProblemDetails {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  code: string
  requestId?: string
  errors?: FieldError[]
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/**
 * The problem+json response for a problem.
 * @example problemResponse({ status: 404, code: 'not_found', detail: 'user not found' })
 */
export function problemResponse(p: {
  status: number
  code: string
  detail: string
  instance?: string
  requestId?: string
  errors?: FieldError[]
  headers?: Record<string, string>
}): Response {
  const body: ProblemDetails = {
    type: `https://civildiy.dev/problems/${p.code}`,
    title: TITLES[p.status] ?? 'Error',
    status: p.status,
    detail: p.detail,
    code: p.code,
  }
  if (p.instance) body.instance = p.instance
  if (p.requestId) body.requestId = p.requestId
  if (p.errors?.length) body.errors = p.errors
  return new Response(JSON.stringify(body), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', ...p.headers },
  })
}
