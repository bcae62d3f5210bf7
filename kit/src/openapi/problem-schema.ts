/**
 * The problem+json body every error answer carries, as a JSON Schema for API
 * documents: RFC 9457's members plus this project's `code`, `requestId` and
 * field `errors`. The shape is kit/src/errors.ts's ProblemDetails.
 * Source: RFC 9457 §3 (members of a problem details object).
 */
export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'Identifies the problem type' },
    title: { type: 'string', description: 'The status phrase' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'What went wrong, for a person' },
    instance: { type: 'string' },
    code: {
      type: 'string',
      description: 'A stable machine-readable code, e.g. `validation_failed`',
    },
    requestId: { type: 'string', description: 'The x-request-id of the request, for the logs' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', description: 'JSON pointer to the field, e.g. `/email`' },
          message: { type: 'string' },
        },
      },
    },
  },
  examples: [
    {
      type: 'https://civildiy.dev/problems/validation_failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is invalid',
      code: 'validation_failed',
      errors: [{ field: '/body', message: 'Expected string length less or equal to 5000' }],
    },
  ],
} as const

/** A response object whose content is a problem (application/problem+json). */
export function problemResponseObject(description: string) {
  return {
    description,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  }
}

/** The security scheme of the access tokens auth issues (RFC 6750 bearer, a JWT). */
export const bearerAuthScheme = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: 'An access token from POST /auth/login (Authorization: Bearer <token>)',
} as const
