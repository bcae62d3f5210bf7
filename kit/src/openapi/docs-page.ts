/**
 * The API docs page: Swagger UI from the `swagger-ui-dist` npm package (pinned
 * in kit/package.json), served by the process itself, so the page needs no
 * network beyond the server it came from.
 */
import { dirname, join } from 'node:path'

const ASSETS = new Map([
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['swagger-ui.css', 'text/css; charset=utf-8'],
])
const dist = () => dirname(require.resolve('swagger-ui-dist/package.json'))

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
  const type = ASSETS.get(name)
  if (!type) return null
  return new Response(Bun.file(join(dist(), name)), {
    headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
  })
}
