/** The search service's app type, for typed clients (Eden treaty). */
export type { SearchApp } from './app.ts'
