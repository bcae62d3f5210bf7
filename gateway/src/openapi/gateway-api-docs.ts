/**
 * The API of the whole stack, served by the gateway: `GET /openapi.json` (the
 * merged document, see merge-documents.ts) and `GET /docs` (its docs page, the
 * page's assets from the gateway itself). Each service's document is read from
 * one of its passing instances and kept for 30 s; a service that does not answer
 * keeps its last document, or is named as missing.
 */
import { docsAsset, docsPage, type Logger, problemResponse } from '@civildiy/kit'
import { Elysia } from 'elysia'
import type { InstanceDirectory } from '../discovery/instance-directory.ts'
import type { RouteTable } from '../routes/route-table.ts'
import { mergeDocuments } from './merge-documents.ts'

const FRESH_MS = 30_000

/** The service's document from the first of its instances that answers, or null. */
async function fetchDocument(directory: InstanceDirectory, service: string): Promise<unknown> {
  for (const instance of directory.instances(service)) {
    const res = await fetch(`${instance.url}/openapi/json`, {
      signal: AbortSignal.timeout(2_000),
    }).catch(() => null)
    if (res?.ok) return res.json().catch(() => null)
  }
  return null
}

/**
 * @example app.use(gatewayApiDocs({ table, directory, logger, version: '0.1.0' }))
 */
export function gatewayApiDocs(d: {
  table: RouteTable
  directory: InstanceDirectory
  logger: Logger
  version?: string
  clock?: () => number
}) {
  const clock = d.clock ?? Date.now
  const cache = new Map<string, { at: number; doc: unknown }>()
  const documents = async () => {
    await Promise.all(
      d.table.services.map(async (service) => {
        const known = cache.get(service)
        if (known && clock() - known.at < FRESH_MS) return
        const doc = await fetchDocument(d.directory, service)
        if (doc) cache.set(service, { at: clock(), doc })
        else if (!known) d.logger.info({ service }, 'no API document from the service (yet)')
      }),
    )
    return new Map([...cache].map(([service, c]) => [service, c.doc]))
  }
  return new Elysia({ name: 'gateway-api-docs' })
    .get(
      '/openapi.json',
      async () =>
        mergeDocuments(d.table, await documents(), {
          title: 'CivilDIY API',
          version: d.version ?? '0.1.0',
        }),
      {
        detail: {
          summary: 'Every routed service’s API as this gateway serves it (OpenAPI 3.1)',
          tags: ['gateway'],
        },
      },
    )
    .get(
      '/docs',
      () =>
        new Response(
          docsPage({ title: 'CivilDIY API', specUrl: '/openapi.json', assetsBase: '/docs/assets' }),
          {
            headers: { 'content-type': 'text/html; charset=utf-8' },
          },
        ),
      { detail: { hide: true } },
    )
    .get(
      '/docs/assets/:file',
      ({ params }) =>
        docsAsset(params.file) ??
        problemResponse({ status: 404, code: 'not_found', detail: `No asset ${params.file}` }),
      { detail: { hide: true } },
    )
}
