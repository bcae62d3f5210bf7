/**
 * The API docs page: Swagger UI from the `swagger-ui-dist` npm package (pinned
 * in kit/package.json), served by the process itself, so the page needs no
 * network beyond the server it came from.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Elysia } from 'elysia'
import { problemResponse } from '../errors.ts'
import { runtimeName } from '../http-server.ts'

/** The page's assets by name. A Map: a name from the URL (`__proto__`, `constructor`) must not find anything else. */
const ASSET_TYPES = new Map([
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['swagger-ui.css', 'text/css; charset=utf-8'],
])

/**
 * Each asset's bytes, read on the first request for it (the page is rarely
 * opened, so nothing of it is loaded at start-up). On Bun from the paths Bun's
 * file imports give (embedded in a compiled executable); elsewhere resolved in
 * node_modules.
 */
const assetBytes = new Map<string, Promise<Uint8Array<ArrayBuffer>>>()
function readAsset(name: string): Promise<Uint8Array<ArrayBuffer>> {
  let bytes = assetBytes.get(name)
  if (!bytes) {
    bytes = (async () => {
      const path =
        runtimeName() === 'bun'
          ? (await import('./docs-assets-bun.ts')).assetPaths[name as 'swagger-ui.css']
          : fileURLToPath(import.meta.resolve(`swagger-ui-dist/${name}`))
      return new Uint8Array(await readFile(path))
    })()
    // A failed read is not kept: the next request tries again.
    bytes.catch(() => assetBytes.delete(name))
    assetBytes.set(name, bytes)
  }
  return bytes
}

/** HTML-escapes text for an element's content or a quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}

/** The page for the document at `specUrl`, its assets under `assetsBase`. */
function docsPage(o: { title: string; specUrl: string; assetsBase: string }): string {
  const title = escapeHtml(o.title)
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
      async ({ params }) =>
        (await docsAsset(params.file)) ??
        problemResponse({ status: 404, code: 'not_found', detail: `No asset ${params.file}` }),
      { detail: { hide: true } },
    )
}

/** One of the page's assets, or null for any other name. */
async function docsAsset(name: string): Promise<Response | null> {
  const type = ASSET_TYPES.get(name)
  if (!type) return null
  return new Response(await readAsset(name), {
    headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
  })
}
