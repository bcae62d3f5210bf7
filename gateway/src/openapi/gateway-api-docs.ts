/**
 * The API of the whole stack, served by the gateway: `GET /openapi.json` (the
 * merged document, see merge-documents.ts) and `GET /docs` (its docs page, the
 * page's assets from the gateway itself). Each service's document is read from
 * one of its passing instances and kept for 30 s; a service that does not answer
 * keeps its last document, or is named as missing and asked again after 5 s: a
 * client cannot make the gateway fetch per request. The merged document is rebuilt
 * only when a service's document changed.
 */
import { docsRoutes, type Logger } from '@civildiy/kit'
import { Elysia } from 'elysia'
import type { InstanceDirectory } from '../discovery/instance-directory.ts'
import type { RouteTable } from '../routes/route-table.ts'
import { mergeDocuments } from './merge-documents.ts'

const FRESH_MS = 30_000
const RETRY_MS = 5_000

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
  /** When each service was last asked: one that does not answer is asked again after RETRY_MS, not per request. */
  const asked = new Map<string, number>()
  let refreshing: Promise<void> | null = null
  let merged: { generation: number; doc: unknown } | null = null
  let generation = 0
  const refresh = async () => {
    await Promise.all(
      d.table.services.map(async (service) => {
        const known = cache.get(service)
        if (known && clock() - known.at < FRESH_MS) return
        if (clock() - (asked.get(service) ?? Number.NEGATIVE_INFINITY) < RETRY_MS) return
        asked.set(service, clock())
        const doc = await fetchDocument(d.directory, service)
        if (doc) {
          cache.set(service, { at: clock(), doc })
          generation++
        } else if (!known) d.logger.info({ service }, 'no API document from the service (yet)')
      }),
    )
  }
  /** The merged document, rebuilt only when a service's document changed; one refresh at a time. */
  const document = async () => {
    refreshing ??= refresh().finally(() => {
      refreshing = null
    })
    await refreshing
    if (merged?.generation !== generation) {
      const docs = new Map([...cache].map(([service, c]) => [service, c.doc]))
      const doc = mergeDocuments(d.table, docs, {
        title: 'CivilDIY API',
        version: d.version ?? '0.1.0',
      })
      merged = { generation, doc }
    }
    return merged.doc
  }
  return new Elysia({ name: 'gateway-api-docs' })
    .get('/openapi.json', document, {
      detail: {
        summary: 'Every routed service’s API as this gateway serves it (OpenAPI 3.1)',
        tags: ['gateway'],
      },
    })
    .use(docsRoutes({ title: 'CivilDIY API', pagePath: '/docs', specUrl: '/openapi.json' }))
}
