/**
 * A service's API contract, served by the service: `GET /openapi` (the docs
 * page), `GET /openapi/json` (its OpenAPI 3.1 document, from its routes'
 * TypeBox schemas through Elysia's generator and normalizeOpenApi) and the
 * page's assets. The document is built on first request and again only when
 * the app's routes change.
 */
import { toOpenAPISchema } from '@elysiajs/openapi'
import { type AnyElysia, Elysia } from 'elysia'
import { tokenRequiredHooks } from '../jwt.ts'
import { docsRoutes } from './docs-page.ts'
import { type DocumentInfo, documentPath, normalizeOpenApi } from './normalize-document.ts'

/** Paths no client calls: probes, metrics and the docs themselves. */
export const UNDOCUMENTED = [
  '/health/live',
  '/health/ready',
  '/metrics',
  '/openapi',
  '/openapi/json',
  '/openapi/assets/:file',
]

/** The routes of the whole app `app` is used in (protected in Elysia's types; @elysiajs/openapi reads them the same way). */
const globalRoutes = (app: AnyElysia) =>
  (app as unknown as { getGlobalRoutes(): AnyElysia['routes'] }).getGlobalRoutes()

/**
 * From the whole app's routes (not only this plugin's): the `get /posts/{id}`-style
 * keys of those that run requireAuth's hook, and the body schema of each.
 */
export function routeFacts(app: AnyElysia): { secured: Set<string>; bodies: Map<string, unknown> } {
  const secured = new Set<string>()
  const bodies = new Map<string, unknown>()
  for (const r of globalRoutes(app)) {
    const key = `${r.method.toLowerCase()} ${documentPath(r.path)}`
    const hooks = r.hooks as { beforeHandle?: { fn?: object }[]; body?: unknown } | undefined
    if ((hooks?.beforeHandle ?? []).some((h) => h.fn && tokenRequiredHooks.has(h.fn)))
      secured.add(key)
    if (hooks?.body) bodies.set(key, hooks.body)
  }
  return { secured, bodies }
}

/**
 * @example baseApp(...).use(apiDocs({ title: 'CivilDIY posts service', version: '0.1.0' }))
 */
export function apiDocs(info: DocumentInfo) {
  let built: { routes: number; doc: unknown } | null = null
  // Set once the plugin exists; through it, the routes of the whole app it is used in.
  let self: AnyElysia | null = null
  const routes = (): number => (self ? globalRoutes(self).length : 0)
  const plugin = new Elysia({ name: '@civildiy/kit/api-docs' })
    .use(docsRoutes({ title: info.title, pagePath: '/openapi', specUrl: '/openapi/json' }))
    .get(
      '/openapi/json',
      (): unknown => {
        if (!built || built.routes !== routes())
          built = {
            routes: routes(),
            doc: normalizeOpenApi(
              toOpenAPISchema(self!, { paths: UNDOCUMENTED, staticFile: false }),
              info,
              routeFacts(self!),
            ),
          }
        return built.doc
      },
      { detail: { hide: true } },
    )
  self = plugin
  return plugin
}
