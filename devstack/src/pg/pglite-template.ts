/**
 * Prepared PGlite databases, made once per PGlite version and cached, so a new
 * database never runs initdb at boot (4–12 s on a 2-core machine, the bulk of a
 * first `npm start`):
 *
 * - a freshly initialized data directory, copied into a new `dataDir` (a plain
 *   file copy of about 40 MB, then an ordinary reopen);
 * - the same directory as PGlite's own gzipped dump (`dumpDataDir`), which an
 *   in-memory database loads with `loadDataDir`.
 *
 * Both come from one initdb. The cache defaults to `~/.cache/civildiy`, so it
 * survives `rm -rf .data` and new clones; `npm install` prepares it
 * (`prepare-template.ts`). Writers build under a temporary name and rename, so
 * processes that prepare at the same time never see a half-written template.
 */
import { randomUUID } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where templates live unless told: `~/.cache/civildiy`, or the OS temp directory without a home. */
export function defaultTemplateDir(): string {
  const home = homedir()
  return home ? join(home, '.cache', 'civildiy') : tmpdir()
}

/** The paths of one PGlite version's templates under `cacheDir`. */
export function templatePaths(cacheDir: string = defaultTemplateDir()) {
  const base = join(cacheDir, `pglite-${pgliteVersion()}`)
  return { dataDir: `${base}-datadir`, tarball: `${base}-template.tar.gz` }
}

/** Whether both templates exist (nothing to prepare). */
export function templatesReady(cacheDir?: string): boolean {
  const t = templatePaths(cacheDir)
  return existsSync(join(t.dataDir, 'PG_VERSION')) && existsSync(t.tarball)
}

/**
 * Makes both templates when either is missing (one initdb, about 5 s); does
 * nothing when they exist. Returns their paths.
 * @throws when `cacheDir` cannot be written.
 * @example const { dataDir } = await prepareTemplates(); cpSync(dataDir, myDir, { recursive: true })
 */
export async function prepareTemplates(
  cacheDir: string = defaultTemplateDir(),
): Promise<{ dataDir: string; tarball: string }> {
  const t = templatePaths(cacheDir)
  if (templatesReady(cacheDir)) return t
  const { PGlite } = await import('@electric-sql/pglite')
  mkdirSync(cacheDir, { recursive: true })
  const scratch = `${t.dataDir}.${randomUUID()}.tmp`
  try {
    const seed = await PGlite.create(scratch)
    const dump = await seed.dumpDataDir('gzip')
    await seed.close()
    publish(scratch, t.dataDir)
    const file = `${t.tarball}.${randomUUID()}.tmp`
    writeFileSync(file, new Uint8Array(await dump.arrayBuffer()))
    publish(file, t.tarball)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return t
}

/** Renames a finished template into place; when another process got there first, keeps theirs. */
function publish(tmp: string, final: string): void {
  if (existsSync(final)) {
    rmSync(tmp, { recursive: true, force: true })
    return
  }
  try {
    renameSync(tmp, final)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    if (!existsSync(final)) throw err
  }
}

/**
 * Fills an empty or missing `dataDir` with a copy of the prepared data directory
 * (preparing it first if needed); a directory that already holds a database is
 * left alone. Returns whether it copied.
 */
export async function seedDataDir(dataDir: string, cacheDir?: string): Promise<boolean> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return false
  const t = await prepareTemplates(cacheDir)
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    // Not ours to replace (files without a database): copy over, as initdb would write into it.
    cpSync(t.dataDir, dataDir, { recursive: true })
    return true
  }
  // Copied aside and renamed: a start killed mid-copy leaves no half database behind.
  const tmp = `${dataDir}.${randomUUID()}.tmp`
  mkdirSync(dirname(dataDir), { recursive: true })
  try {
    cpSync(t.dataDir, tmp, { recursive: true })
    rmSync(dataDir, { recursive: true, force: true })
    renameSync(tmp, dataDir)
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return true
}

/** The gzipped template for an in-memory database (`PGlite.create({ loadDataDir })`). */
export async function templateTarball(cacheDir?: string): Promise<Blob> {
  const t = await prepareTemplates(cacheDir)
  return new Blob([await Bun.file(t.tarball).arrayBuffer()])
}

/** The installed PGlite version (its package.json is not exported, so walk up from the entry point). */
function pgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')))
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json')
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version
    }
    dir = dirname(dir)
  }
  return 'unknown'
}
