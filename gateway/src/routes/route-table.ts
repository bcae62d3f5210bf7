/**
 * Compiles a {@link GatewayRoutes} document into a lookup: the longest prefix that
 * matches a path on a segment boundary wins.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '@civildiy/kit'
import { Value } from '@sinclair/typebox/value'
import defaultRoutes from './default-routes.ts'
import {
  GatewayRoutes,
  type GatewayRoutesInput,
  type RateLimitPolicy,
  RetryPolicy,
  type RouteSpec,
} from './model.ts'

/** A route with its policies resolved. */
export interface Route extends RouteSpec {
  retryPolicy: RetryPolicy
  rateLimitPolicy?: RateLimitPolicy & { name: string }
}

export interface RouteTable {
  routes: readonly Route[]
  /** Services named by any route. */
  services: readonly string[]
  corsOrigins: readonly string[]
  /** The route serving `path`, or undefined. */
  match(path: string): Route | undefined
}

/** The routes document is invalid; `message` names every problem. */
export class RouteConfigError extends ConfigError {
  override name = 'RouteConfigError'
  constructor(message: string) {
    super([{ variable: 'GATEWAY_ROUTES_FILE', expected: message, got: undefined }])
    this.message = message
  }
}

/**
 * The route table the configuration asks for: GATEWAY_ROUTES_FILE, or the default
 * routes with the configured limits and CORS origins.
 * @throws RouteConfigError (a ConfigError) when the routes are invalid.
 */
export async function routesFromConfig(c: {
  GATEWAY_ROUTES_FILE?: string
  RATE_LIMIT_CREDENTIALS_PER_MIN: number
  RATE_LIMIT_WRITES_PER_MIN: number
  RATE_LIMIT_SEARCH_PER_MIN: number
  CORS_ORIGINS?: string
}): Promise<RouteTable> {
  if (c.GATEWAY_ROUTES_FILE) return loadRoutesFile(c.GATEWAY_ROUTES_FILE)
  const limits = defaultRoutes.rateLimits!
  return compileRoutes({
    ...defaultRoutes,
    rateLimits: {
      credentials: { ...limits.credentials!, limit: c.RATE_LIMIT_CREDENTIALS_PER_MIN },
      writes: { ...limits.writes!, limit: c.RATE_LIMIT_WRITES_PER_MIN },
      search: { ...limits.search!, limit: c.RATE_LIMIT_SEARCH_PER_MIN },
    },
    corsOrigins: c.CORS_ORIGINS?.split(',').map((o) => o.trim()),
  })
}

/**
 * Validates and compiles a routes document, filling defaults.
 * @throws RouteConfigError on schema errors, duplicate prefixes or unknown rate-limit policies.
 * @example const table = compileRoutes(defaultRoutes); table.match('/feed/global')?.service // 'feed'
 */
export function compileRoutes(input: GatewayRoutesInput): RouteTable {
  const doc = Value.Default(GatewayRoutes, structuredClone(input)) as GatewayRoutes
  const problems = [...Value.Errors(GatewayRoutes, doc)].map((e) => `${e.path}: ${e.message}`)
  if (problems.length) throw new RouteConfigError(`invalid routes: ${problems.join('; ')}`)
  const seen = new Set<string>()
  const routes: Route[] = []
  for (const spec of doc.routes) {
    const prefix = spec.prefix.length > 1 ? spec.prefix.replace(/\/+$/, '') : spec.prefix
    if (seen.has(prefix)) throw new RouteConfigError(`invalid routes: ${prefix} appears twice`)
    seen.add(prefix)
    let rateLimitPolicy: Route['rateLimitPolicy']
    if (spec.rateLimit) {
      const policy = doc.rateLimits[spec.rateLimit]
      if (!policy)
        throw new RouteConfigError(
          `invalid routes: ${prefix} names rate limit "${spec.rateLimit}", which is not defined`,
        )
      rateLimitPolicy = { ...policy, name: spec.rateLimit }
    }
    routes.push({
      ...spec,
      prefix,
      retryPolicy: Value.Default(RetryPolicy, { ...spec.retry }) as RetryPolicy,
      rateLimitPolicy,
    })
  }
  // Longest first, so the first match is the most specific.
  routes.sort((a, b) => b.prefix.length - a.prefix.length)
  return {
    routes,
    services: [...new Set(routes.map((r) => r.service))],
    corsOrigins: doc.corsOrigins,
    match(path) {
      for (const r of routes) {
        if (r.prefix === '/') return r
        if (path.startsWith(r.prefix)) {
          const next = path.charCodeAt(r.prefix.length)
          // End of path, '/', or '?' (47, 63) keep the segment boundary.
          if (Number.isNaN(next) || next === 47 || next === 63) return r
        }
      }
      return undefined
    },
  }
}

/**
 * Loads a routes document from a `.ts`/`.js` module (default export) or a `.json` file.
 * @throws RouteConfigError when the file cannot be read or is invalid.
 */
export async function loadRoutesFile(path: string): Promise<RouteTable> {
  let doc: GatewayRoutesInput
  try {
    doc = path.endsWith('.json')
      ? JSON.parse(await readFile(path, 'utf8'))
      : (await import(pathToFileURL(resolve(path)).href)).default
  } catch (err) {
    throw new RouteConfigError(`cannot read routes from ${path}: ${(err as Error).message}`)
  }
  return compileRoutes(doc)
}
