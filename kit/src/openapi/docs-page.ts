/**
 * The API docs page: Swagger UI from the `swagger-ui-dist` npm package (pinned
 * in kit/package.json), served by the process itself, so the page needs no
 * network beyond the server it came from.
 */
// Imported as files: Bun embeds them in a compiled executable (`bun build --compile`,
// what the compose images run), and gives their path on disk otherwise.

import { Elysia } from 'elysia'
import cssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import bundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { problemResponse } from '../errors.ts'

const ASSETS = new Map([
  ['swagger-ui-bundle.js', { path: bundlePath, type: 'text/javascript; charset=utf-8' }],
  ['swagger-ui.css', { path: cssPath, type: 'text/css; charset=utf-8' }],
])

/** The page for the document at `specUrl`, its assets under `assetsBase`. */
function docsPage(o: { title: string; specUrl: string; assetsBase: string }): string {
  const title = Bun.escapeHTML(o.title)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${o.assetsBase}/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="${o.assetsBase}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(o.specUrl)}, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null })</script>
</body></html>
`
}

/**
 * The docs page at `pagePath` for the document at `specUrl`, and its assets under
 * `<pagePath>/assets/` (an unknown asset is a 404 problem).
 * @example app.use(docsRoutes({ title: 'CivilDIY API', pagePath: '/docs', specUrl: '/openapi.json' }))
 */
export function docsRoutes(o: { title: string; pagePath: string; specUrl: string }) {
  const assetsBase = `${o.pagePath}/assets`
  return new Elysia({ name: `@civildiy/kit/docs${o.pagePath}` })
    .get(
      o.pagePath,
      () =>
        new Response(docsPage({ title: o.title, specUrl: o.specUrl, assetsBase }), {
          headers: { 'content-type': 'text/html; charset=utf-8' },
        }),
      { detail: { hide: true } },
    )
    .get(
      `${assetsBase}/:file`,
      ({ params }) =>
        docsAsset(params.file) ??
        problemResponse({ status: 404, code: 'not_found', detail: `No asset ${params.file}` }),
      { detail: { hide: true } },
    )
}

/** One of the page's assets, or null for any other name. */
function docsAsset(name: string): Response | null {
  const asset = ASSETS.get(name)
  if (!asset) return null
  return new Response(Bun.file(asset.path), {
    headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' },
  })
}
