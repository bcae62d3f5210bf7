/** Builds the search service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp } from '@civildiy/kit'
import { searchRoutes } from './search/routes.ts'
import type { SearchService } from './search/service.ts'

export interface SearchDeps extends AppEnvironment {
  search: SearchService
}

/** @example const app = createApp({ ...env, search: createSearchService(sql, 'english') }) */
export function createApp(d: SearchDeps) {
  return baseApp({
    name: 'search',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
    metrics: d.metrics,
  }).use(searchRoutes(d.search))
}

export type SearchApp = ReturnType<typeof createApp>
