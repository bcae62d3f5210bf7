import { afterAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { startPglite } from './pglite-server.ts'
import { prepareTemplates, seedDataDir, templatePaths, templatesReady } from './pglite-template.ts'

const scratch = mkdtempSync(join(tmpdir(), 'pglite-template-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

test('two preparations of one cache at once end with one complete template of each kind and no leftovers', async () => {
  const cache = join(scratch, 'cache')
  const [a, b] = await Promise.all([prepareTemplates(cache), prepareTemplates(cache)])
  expect(a).toEqual(b)
  expect(templatesReady(cache)).toBe(true)
  // No half-written leftovers beside the two templates.
  expect(readdirSync(cache).sort()).toEqual(
    [templatePaths(cache).dataDir, templatePaths(cache).tarball]
      .map((p) => p.slice(cache.length + 1))
      .sort(),
  )
}, 60_000)

test('a new data directory is seeded from the template, and a used one is never overwritten', async () => {
  const cache = join(scratch, 'cache')
  const dataDir = join(scratch, 'db')
  expect(await seedDataDir(dataDir, cache)).toBe(true)
  expect(readdirSync(scratch).filter((f) => f.endsWith('.tmp'))).toEqual([])
  expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true)
  let pg = await startPglite({ port: 0, dataDir, templateDir: cache })
  let sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  await sql`create table kept (n int)`
  await sql`insert into kept values (42)`
  await sql.end()
  await pg.stop()

  expect(await seedDataDir(dataDir, cache)).toBe(false)
  pg = await startPglite({ port: 0, dataDir, templateDir: cache })
  sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  expect([...(await sql`select n from kept`)]).toEqual([{ n: 42 }])
  await sql.end()
  await pg.stop()
})

test('an in-memory database boots from the tarball template', async () => {
  const pg = await startPglite({ port: 0, templateDir: join(scratch, 'cache') })
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} })
  expect([...(await sql`select 1 as one`)]).toEqual([{ one: 1 }])
  await sql.end()
  await pg.stop()
})
