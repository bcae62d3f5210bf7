/**
 * One OpenAPI 3.1 document for clients of the gateway: the documents of every
 * routed service, each path kept only where the route table sends it to that
 * service (so it is exactly what a client can call), with the gateway's own
 * answers added where its route can produce them: 401 (the route requires a
 * token), 413 (a body over the route's limit), 429 (its rate limit), 502, 503
 * and 504 (the upstream failed, had no healthy instance, or timed out). Pure.
 * Source: spec.openapis.org/oas/v3.1.0; the route semantics in routes/model.ts.
 */
import { bearerAuthScheme, problemResponseObject, problemSchema } from '@civildiy/kit'
import type { Route, RouteTable } from '../routes/route-table.ts'

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are free-form JSON here.
type Json = any

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options']
const WRITES = new Set(['post', 'put', 'patch', 'delete'])
const BEARER = [{ bearerAuth: [] }]

/** A documented path as a concrete one the route table can match (`{id}` → `_`). */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, '_')

function needsToken(route: Route, method: string) {
  return route.auth === 'required' || (route.auth === 'writes' && WRITES.has(method))
}

/** The operation as a client of the gateway sees it. */
function throughGateway(op: Json, route: Route, method: string): Json {
  const out: Json = { ...op, responses: { ...op.responses } }
  const r = out.responses
  if (needsToken(route, method)) {
    out.security = BEARER
    r['401'] ??= problemResponseObject('No valid access token (checked by the gateway)')
  }
  if (out.requestBody)
    r['413'] ??= problemResponseObject(`The body is over this route's ${route.maxBodyBytes} bytes`)
  const limit = route.rateLimitPolicy
  if (limit && (!limit.methods || limit.methods.includes(method.toUpperCase())))
    r['429'] ??= problemResponseObject(
      `Over ${limit.limit} requests per ${limit.windowMs / 1000} s (${limit.name}); see Retry-After`,
    )
  r['502'] ??= problemResponseObject('The upstream instance failed')
  r['503'] ??= problemResponseObject('No healthy instance of the service (see Retry-After)')
  r['504'] ??= problemResponseObject(`The upstream did not answer in ${route.timeoutMs} ms`)
  return out
}

/**
 * @param docs each routed service's own document, by service name (missing ones are listed in `info.description`).
 * @example mergeDocuments(table, new Map([['posts', postsDoc]]), { title: 'CivilDIY API', version: '0.1.0' })
 */
export function mergeDocuments(
  table: RouteTable,
  docs: Map<string, Json>,
  info: { title: string; version: string },
): Json {
  const paths: Json = {}
  const schemas: Json = {}
  const tags = new Set<string>()
  const missing = table.services.filter((s) => !docs.has(s))
  for (const [service, doc] of docs) {
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}))
      schemas[name in schemas && name !== 'Problem' ? `${service}.${name}` : name] = schema
    for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, Json][]) {
      const route = table.match(concrete(path))
      if (route?.service !== service) continue
      for (const method of METHODS) {
        if (!item[method]) continue
        const op = throughGateway(item[method], route, method)
        for (const t of op.tags ?? []) tags.add(t)
        paths[path] ??= {}
        paths[path][method] = op
      }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description: `Every service's API as a client of the gateway calls it.${
        missing.length ? ` Not available when this was built: ${missing.join(', ')}.` : ''
      }`,
    },
    servers: [{ url: '/', description: 'this gateway' }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...schemas, Problem: problemSchema },
      securitySchemes: { bearerAuth: bearerAuthScheme },
    },
  }
}
