/**
 * Turns what Elysia's OpenAPI generator gives (paths and schemas, with its
 * quirks) into a valid OpenAPI 3.1 document: standard JSON Schema only (no
 * TypeBox `error` messages, numeric query strings as numbers, no `void`),
 * response objects with only their own fields, an operation id and tags on every
 * operation, the problem+json answers it can give (400 for a bad parameter or a
 * body that is not JSON, 422 for an invalid body, 401 when it needs a token, 404
 * when its path names a resource, and a default), and the
 * `bearerAuth` scheme. Pure: a document in, a document out.
 * Source: spec.openapis.org/oas/v3.1.0 (Operation, Responses, Schema objects).
 */
import { bearerAuthScheme, problemResponseObject, problemSchema } from './problem-schema.ts'

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are free-form JSON here.
type Json = any

export interface DocumentInfo {
  title: string
  version: string
  description?: string
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const
/** Keys that are not JSON Schema: TypeBox's custom messages and Elysia's markers. */
const NOT_SCHEMA = new Set(['error', 'errorMessage', 'transform'])
const RESPONSE_KEYS = new Set(['description', 'headers', 'content', 'links'])
const PHRASES: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No Content',
  '304': 'Not Modified',
}

/** A numeric query or path value: Elysia documents it as "a numeric string or a number". */
function numericBranch(schema: Json): Json | null {
  const anyOf = schema.anyOf
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return null
  const text = anyOf.find((s: Json) => s.type === 'string' && /^(integer|numeric)$/.test(s.format))
  const num = anyOf.find((s: Json) => s.type === 'integer' || s.type === 'number')
  return text && num ? num : null
}

/** A JSON Schema 2020-12 copy of `schema`, without what standard validators reject. */
export function cleanSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(cleanSchema)
  if (!schema || typeof schema !== 'object') return schema
  const numeric = numericBranch(schema)
  if (numeric) {
    const { anyOf: _a, ...rest } = schema
    return cleanSchema({ ...numeric, ...rest, type: numeric.type })
  }
  if (schema.type === 'void' || schema.type === 'undefined') return {}
  const out: Json = {}
  for (const [k, v] of Object.entries(schema)) {
    if (NOT_SCHEMA.has(k)) continue
    out[k] =
      k === 'examples' || k === 'example' || k === 'default' || k === 'const' || k === 'enum'
        ? v
        : cleanSchema(v)
  }
  return out
}

function cleanResponse(status: string, r: Json): Json | null {
  const out: Json = { description: r?.description || PHRASES[status] || `Status ${status}` }
  for (const [k, v] of Object.entries(r ?? {}))
    if (RESPONSE_KEYS.has(k) && k !== 'description') out[k] = v
  if (status === '204' || status === '304') delete out.content
  else if (out.content)
    for (const media of Object.values(out.content) as Json[])
      if (media.schema) media.schema = cleanSchema(media.schema)
  if (
    out.content &&
    Object.values(out.content).every((m: Json) => !m.schema || Object.keys(m.schema).length === 0)
  )
    delete out.content
  return out
}

/** e.g. `get` `/posts/{id}/like` → `getPostsByIdLike`. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith('{') ? `By${seg.slice(1, -1)}` : seg))
    .flatMap((seg) => seg.split(/[^a-zA-Z0-9]+/))
    .filter(Boolean)
  return method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')
}

/** The problem answers an operation can give, beside those it documents. */
function addProblems(op: Json, path: string) {
  const r = op.responses
  const takesInput = (op.parameters?.length ?? 0) > 0 || op.requestBody
  if (takesInput && !r['400'])
    r['400'] = problemResponseObject('The request is invalid (see `errors`)')
  if (op.security?.some((s: Json) => 'bearerAuth' in s))
    r['401'] ??= problemResponseObject('No valid access token')
  if (path.includes('{')) r['404'] ??= problemResponseObject('No such resource')
  r.default ??= problemResponseObject('An error, as RFC 9457 problem details')
}

function normalizeOperation(method: string, path: string, op: Json, body?: Json): Json {
  const out: Json = { ...op }
  out.operationId ??= operationIdOf(method, path)
  out.tags ??= [path.split('/')[1] || 'default']
  if (out.parameters)
    out.parameters = out.parameters.map((p: Json) => ({ ...p, schema: cleanSchema(p.schema) }))
  if (out.requestBody || body) {
    // The services read JSON bodies only (kit/src/json-body.ts), whatever the generator guessed.
    const given = Object.values(out.requestBody?.content ?? {}).find((m: Json) => m.schema) as Json
    const schema = body ?? given?.schema
    out.requestBody = schema
      ? { required: true, content: { 'application/json': { schema: cleanSchema(schema) } } }
      : undefined
    if (!out.requestBody) delete out.requestBody
  }
  const responses: Json = {}
  for (const [status, r] of Object.entries(op.responses ?? {}))
    responses[status] = cleanResponse(status, r)
  if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' }
  out.responses = responses
  addProblems(out, path)
  return out
}

/** `/posts/` → `/posts`, `/posts/:id` → `/posts/{id}`. */
export function documentPath(path: string): string {
  const p = path.replace(/:(\w+)/g, '{$1}')
  return p.length > 1 ? p.replace(/\/+$/, '') : p
}

/**
 * @example normalizeOpenApi(toOpenAPISchema(app), { title: 'CivilDIY posts service', version: '0.1.0' })
 */
export function normalizeOpenApi(
  raw: { paths?: Json; components?: Json },
  info: DocumentInfo,
  /**
   * `secured`: `get /posts/{id}`-style keys of the operations that need a bearer
   * token; `bodies`: their request body schemas by the same keys (the generator
   * leaves them out when a custom body parser is installed).
   */
  o: { secured?: Set<string>; bodies?: Map<string, Json> } = {},
): Json {
  const paths: Json = {}
  const tags = new Set<string>()
  for (const [rawPath, item] of Object.entries(raw.paths ?? {}) as [string, Json][]) {
    const path = documentPath(rawPath)
    paths[path] ??= {}
    const target = paths[path]
    for (const method of METHODS) {
      if (!item[method]) continue
      const op = o.secured?.has(`${method} ${path}`)
        ? { ...item[method], security: [{ bearerAuth: [] }] }
        : item[method]
      target[method] = normalizeOperation(method, path, op, o.bodies?.get(`${method} ${path}`))
      for (const t of target[method].tags) tags.add(t)
    }
  }
  const schemas: Json = {}
  for (const [name, s] of Object.entries(raw.components?.schemas ?? {}))
    schemas[name] = cleanSchema(s)
  return {
    openapi: '3.1.0',
    info,
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...schemas, Problem: problemSchema },
      securitySchemes: { bearerAuth: bearerAuthScheme },
    },
  }
}
