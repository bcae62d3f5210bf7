/**
 * compose/postgres-init.sh on a real PostgreSQL (Debian's, in a scratch cluster
 * made here as the `postgres` user, as the image's entrypoint runs it): each
 * service's role logs in to its own database and owns it; it cannot connect to
 * the other's; a password with quotes in it is taken literally.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@civildiy/devstack'
import postgres from 'postgres'

const script = join(import.meta.dir, 'postgres-init.sh')
const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : []
const bin = versions.length ? `/usr/lib/postgresql/${versions.sort().at(-1)}/bin` : ''
const uid = Bun.spawnSync(['id', '-u', 'postgres']).stdout.toString().trim()
const skip = !bin
  ? 'no PostgreSQL server binaries (apt-get install postgresql; .ci/start-postgres.sh does)'
  : !Bun.which('runuser') || !uid
    ? 'no postgres user to run initdb as'
    : null
if (skip) console.warn(`SKIPPED postgres-init.sh on a real PostgreSQL: ${skip}`)

const dir = mkdtempSync(join(tmpdir(), 'pg-init-'))
let port = 0
const passwords = {
  auth: "auth's 'quoted' password",
  profile: 'profile password',
  search: 'search password',
  notifications: 'notifications password',
}
const asPostgres = (cmd: string[], env: Record<string, string> = {}) =>
  Bun.spawnSync(['runuser', '-u', 'postgres', '--', ...cmd], {
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })

beforeAll(async () => {
  if (skip) return
  chownSync(dir, Number(uid), Number(uid))
  chmodSync(dir, 0o700)
  port = await freePort()
  // Trust on the local socket (the script's connection, as in the image), passwords over TCP.
  const init = asPostgres([
    `${bin}/initdb`,
    '-D',
    join(dir, 'data'),
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
  ])
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`)
  const start = asPostgres([
    `${bin}/pg_ctl`,
    '-D',
    join(dir, 'data'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    // The server's own output to a file: on a pipe it would outlive pg_ctl and hold it open.
    '-l',
    join(dir, 'server.log'),
    'start',
  ])
  if (start.exitCode !== 0) throw new Error(`pg_ctl start failed: ${start.stderr.toString()}`)
  const run = asPostgres(['sh', script], {
    PGHOST: dir,
    PGPORT: String(port),
    POSTGRES_USER: 'postgres',
    POSTGRES_DB: 'postgres',
    AUTH_DB_PASSWORD: passwords.auth,
    PROFILE_DB_PASSWORD: passwords.profile,
    SEARCH_DB_PASSWORD: passwords.search,
    NOTIFICATIONS_DB_PASSWORD: passwords.notifications,
  })
  if (run.exitCode !== 0) throw new Error(`postgres-init.sh failed: ${run.stderr.toString()}`)
}, 60_000)

afterAll(() => {
  if (!skip && port)
    asPostgres([`${bin}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'immediate', 'stop'])
  rmSync(dir, { recursive: true, force: true })
})

const connect = (user: keyof typeof passwords, db: string) =>
  postgres({
    host: '127.0.0.1',
    port,
    user,
    password: passwords[user],
    database: db,
    max: 1,
    onnotice: () => {},
  })

test.skipIf(Boolean(skip))(
  'each role owns its database and cannot connect to the other',
  async () => {
    for (const name of ['auth', 'profile', 'search', 'notifications'] as const) {
      const sql = connect(name, name)
      try {
        const [row] =
          await sql`select current_user, (select datdba::regrole::text from pg_database where datname = current_database()) as owner`
        expect(row).toEqual({ current_user: name, owner: name })
        await sql`create table owned_here (id int)`
        await sql`drop table owned_here`
      } finally {
        await sql.end()
      }
    }
    const wrong = connect('profile', 'auth')
    try {
      await expect(wrong`select 1`).rejects.toThrow(/permission denied for database "?auth"?/)
    } finally {
      await wrong.end()
    }
  },
)
