/**
 * The API docs page: Swagger UI from the `swagger-ui-dist` npm package (pinned
 * in kit/package.json), served by the process itself, so the page needs no
 * network beyond the server it came from.
 */
// Imported as files: Bun embeds them in a compiled executable (`bun build --compile`,
// what the compose images run), and gives their path on disk otherwise.

import cssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import bundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }

const ASSETS = new Map([
  ['swagger-ui-bundle.js', { path: bundlePath, type: 'text/javascript; charset=utf-8' }],
  ['swagger-ui.css', { path: cssPath, type: 'text/css; charset=utf-8' }],
])

/**
 * The page for the document at `specUrl`, its assets under `assetsBase`.
 * @example new Response(docsPage({ title: 'posts', specUrl: '/openapi/json', assetsBase: '/openapi/assets' }), { headers: { 'content-type': 'text/html' } })
 */
export function docsPage(o: { title: string; specUrl: string; assetsBase: string }): string {
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

/** One of the page's assets, or null for any other name. */
export function docsAsset(name: string): Response | null {
  const asset = ASSETS.get(name)
  if (!asset) return null
  return new Response(Bun.file(asset.path), {
    headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=86400' },
  })
}
