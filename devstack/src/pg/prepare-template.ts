#!/usr/bin/env bun
/**
 * `npm install` runs this (the root package's postinstall): prepares the PGlite
 * templates (pglite-template.ts) so the first `npm start` copies a database
 * instead of running initdb. Never fails the install: without a writable cache,
 * `harness up` prepares them at start instead.
 */
import { defaultTemplateDir, prepareTemplates, templatesReady } from './pglite-template.ts'

if (!templatesReady()) {
  const t0 = performance.now()
  try {
    await prepareTemplates()
    const s = ((performance.now() - t0) / 1000).toFixed(1)
    console.log(
      `devstack: embedded PostgreSQL template prepared in ${defaultTemplateDir()} (${s} s)`,
    )
  } catch (err) {
    console.warn(
      `devstack: could not prepare the embedded PostgreSQL template (${(err as Error).message}); the first npm start will`,
    )
  }
}
