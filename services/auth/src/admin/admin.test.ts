/**
 * Roles, suspension and the audit trail through HTTP (`app.handle`), on PGlite
 * and, when DATABASE_URL is set, on a real PostgreSQL: the first admin from the
 * bootstrap token, roles in tokens from the next refresh, a table of role ×
 * admin route → status, suspension stopping logins, refreshes and (through the
 * deny list) the gateway, and audit entries that nothing can alter.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  type AuditRecordedData,
  type CloudEvent,
  connectPostgres,
  type Database,
  migrate,
  requestContext,
} from '@civildiy/kit'
import { createTestDatabase, databaseKinds, silentLogger } from '@civildiy/kit/testing'
import { decodeJwt, exportPKCS8, generateKeyPair } from 'jose'
import { createApp } from '../app.ts'
import { createAuditService } from '../audit/service.ts'
import { migrations } from '../migrations.ts'
import { signingKeyFromPem } from '../tokens/signing-key.ts'

const BOOTSTRAP = 'bootstrap token of at least thirty-two characters'
const settings = {
  issuer: 'civildiy-auth',
  audience: 'civildiy',
  accessTtlSec: 900,
  refreshTtlSec: 3600,
}

for (const kind of databaseKinds()) {
  describe(`admin on ${kind}`, () => {
    let db: Database
    let drop: () => Promise<void>
    let app: ReturnType<typeof createApp>

    beforeAll(async () => {
      const tdb = await createTestDatabase(kind)
      drop = tdb.drop
      db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
      await migrate(db.sql, 'auth', migrations)
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      app = createApp({
        sql: db.sql,
        key: await signingKeyFromPem(await exportPKCS8(privateKey)),
        tokens: settings,
        logger: silentLogger('auth'),
        production: true,
        adminBootstrapToken: BOOTSTRAP,
      })
    }, 30_000)
    afterAll(async () => {
      await db?.close()
      await drop?.()
    })

    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (token) headers.authorization = `Bearer ${token}`
      const res = await app.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      )
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : null }
    }
    /** Registers and logs in: the user's id and token pair. */
    const signUp = async (name: string) => {
      const credentials = { email: `${name}@example.com`, password: `${name} password 123` }
      const { body: user } = await call('POST', '/auth/register', credentials)
      const { body: tokens } = await call('POST', '/auth/login', credentials)
      return {
        id: user.id as string,
        credentials,
        ...(tokens as { accessToken: string; refreshToken: string }),
      }
    }
    const refreshed = async (refreshToken: string) =>
      (await call('POST', '/auth/refresh', { refreshToken })).body as {
        accessToken: string
        refreshToken: string
      }
    /** Feeds the outbox's audit events to the audit trail, as the consumer does. */
    const consumeAudit = async () => {
      const audit = createAuditService(db.sql)
      const rows = await db.sql<{ envelope: CloudEvent<AuditRecordedData> }[]>`
        select envelope from outbox_events where topic = 'civildiy.auth.audit'`
      for (const r of rows) await audit.record(r.envelope)
      // Redelivery adds nothing.
      for (const r of rows) await audit.record(r.envelope)
    }

    let admin: Awaited<ReturnType<typeof signUp>>
    let moderator: Awaited<ReturnType<typeof signUp>>
    let user: Awaited<ReturnType<typeof signUp>>

    test('the bootstrap token makes an admin; roles reach tokens at the next refresh', async () => {
      admin = await signUp('admin')
      moderator = await signUp('moderator')
      user = await signUp('plain')
      const wrong = await call(
        'POST',
        '/auth/admin/bootstrap',
        { token: 'x'.repeat(48) },
        admin.accessToken,
      )
      expect([wrong.status, wrong.body.code]).toEqual([403, 'forbidden'])
      const ok = await call(
        'POST',
        '/auth/admin/bootstrap',
        { token: BOOTSTRAP },
        admin.accessToken,
      )
      expect(ok.body).toEqual({ id: admin.id, roles: ['user', 'admin'] })
      // The old token has no roles claim: still not an admin.
      expect(
        (
          await call(
            'PUT',
            `/auth/users/${moderator.id}/roles`,
            { roles: ['moderator'] },
            admin.accessToken,
          )
        ).status,
      ).toBe(403)
      Object.assign(admin, await refreshed(admin.refreshToken))
      expect(decodeJwt(admin.accessToken).roles).toEqual(['user', 'admin'])
      const granted = await call(
        'PUT',
        `/auth/users/${moderator.id}/roles`,
        { roles: ['moderator'] },
        admin.accessToken,
      )
      expect(granted.body).toEqual({ id: moderator.id, roles: ['user', 'moderator'] })
      Object.assign(moderator, await refreshed(moderator.refreshToken))
      expect(decodeJwt(moderator.accessToken).roles).toEqual(['user', 'moderator'])
      expect((await call('GET', '/auth/me', undefined, moderator.accessToken)).body.roles).toEqual([
        'user',
        'moderator',
      ])
      // Admins cannot change their own roles (no lock-out by mistake).
      expect(
        (await call('PUT', `/auth/users/${admin.id}/roles`, { roles: [] }, admin.accessToken))
          .status,
      ).toBe(403)
    })

    test('role × admin route → status', async () => {
      const target = (await signUp('target')).id
      const routes: [string, string, unknown][] = [
        ['PUT', `/auth/users/${target}/roles`, { roles: [] }],
        ['PUT', `/auth/users/${target}/suspension`, { reason: 'table test' }],
        ['DELETE', `/auth/users/${target}/suspension`, undefined],
        ['GET', '/auth/audit', undefined],
      ]
      const who: [string, string | undefined, number[]][] = [
        ['anonymous', undefined, [401, 401, 401, 401]],
        ['user', user.accessToken, [403, 403, 403, 403]],
        ['moderator', moderator.accessToken, [403, 403, 403, 403]],
        ['admin', admin.accessToken, [200, 200, 204, 200]],
      ]
      for (const [name, token, expected] of who) {
        const got = []
        for (const [method, path, body] of routes)
          got.push((await call(method, path, body, token)).status)
        expect({ name, got }).toEqual({ name, got: expected })
      }
    })

    test('a suspension stops logins and refreshes and lists the user for the gateway until lifted', async () => {
      const suspect = await signUp('suspect')
      const bad = await call(
        'PUT',
        `/auth/users/${suspect.id}/suspension`,
        { reason: 'x' },
        admin.accessToken,
      )
      expect(bad.status).toBe(422)
      const done = await call(
        'PUT',
        `/auth/users/${suspect.id}/suspension`,
        { reason: 'spam' },
        admin.accessToken,
      )
      expect(done.body).toMatchObject({ id: suspect.id, reason: 'spam' })
      expect((await call('GET', '/internal/denied-users')).body.users).toContain(suspect.id)
      const login = await call('POST', '/auth/login', suspect.credentials)
      expect([login.status, login.body.code]).toEqual([403, 'account_suspended'])
      // Suspension revoked the sessions: the refresh token is dead for good.
      expect(
        (await call('POST', '/auth/refresh', { refreshToken: suspect.refreshToken })).status,
      ).toBe(401)
      // A wrong password learns nothing about the suspension.
      const wrong = await call('POST', '/auth/login', {
        ...suspect.credentials,
        password: 'not the password',
      })
      expect(wrong.status).toBe(401)
      expect(
        (
          await call(
            'PUT',
            `/auth/users/${admin.id}/suspension`,
            { reason: 'self' },
            admin.accessToken,
          )
        ).status,
      ).toBe(403)
      expect(
        (await call('DELETE', `/auth/users/${suspect.id}/suspension`, undefined, admin.accessToken))
          .status,
      ).toBe(204)
      expect((await call('GET', '/internal/denied-users')).body.users).not.toContain(suspect.id)
      expect((await call('POST', '/auth/login', suspect.credentials)).status).toBe(200)
      expect(
        (
          await call(
            'PUT',
            `/auth/users/00000000-0000-4000-8000-000000000000/suspension`,
            { reason: 'nobody' },
            admin.accessToken,
          )
        ).status,
      ).toBe(404)
    })

    test('security events and privileged actions are audit entries with actor, subject and request id', async () => {
      await requestContext.run({ requestId: 'audited-request' }, () =>
        call('POST', '/auth/login', { email: 'nobody@example.com', password: 'wrong password 1' }),
      )
      const reused = await signUp('reuser')
      await refreshed(reused.refreshToken)
      expect(
        (await call('POST', '/auth/refresh', { refreshToken: reused.refreshToken })).status,
      ).toBe(401)
      await consumeAudit()
      const page = async (query: string) =>
        (await call('GET', `/auth/audit?${query}`, undefined, admin.accessToken)).body as {
          items: {
            action: string
            actorId: string | null
            subject: string
            reason: string | null
            requestId: string
          }[]
        }
      const actions = new Set((await page('limit=200')).items.map((e) => e.action))
      for (const a of [
        'login.succeeded',
        'login.failed',
        'login.refused',
        'refresh.reused',
        'role.changed',
        'admin.bootstrapped',
        'admin.bootstrap_refused',
        'user.suspended',
        'user.unsuspended',
      ])
        expect({ a, found: actions.has(a) }).toEqual({ a, found: true })
      const failed = (await page('action=login.failed')).items.find(
        (e) => e.requestId === 'audited-request',
      )!
      expect(failed).toMatchObject({ actorId: null, reason: 'unknown email' })
      expect(failed.subject).toMatch(/^email:[0-9a-f]{16}$/)
      const role = (await page(`subject=user:${moderator.id}&action=role.changed`)).items[0]!
      expect(role).toMatchObject({ actorId: admin.id })
      expect((await page(`actor=${admin.id}&limit=1`)).items).toHaveLength(1)
      expect((await page(`subject=user:${reused.id}&action=refresh.reused`)).items).toHaveLength(1)
      expect(
        (await call('GET', '/auth/audit?cursor=abc', undefined, admin.accessToken)).status,
      ).toBe(400)
    })

    test('no API and no SQL alters an audit entry', async () => {
      for (const method of ['PUT', 'PATCH', 'DELETE', 'POST'])
        expect((await call(method, '/auth/audit', {}, admin.accessToken)).status).toBe(404)
      const [{ n } = { n: 0 }] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from audit_entries`
      expect(n).toBeGreaterThan(0)
      await expect(db.sql`update audit_entries set reason = 'rewritten'`).rejects.toThrow(
        'append-only',
      )
      await expect(db.sql`delete from audit_entries`).rejects.toThrow('append-only')
      await expect(db.sql`truncate audit_entries`).rejects.toThrow('append-only')
      const [{ after } = { after: -1 }] = await db.sql<
        { after: number }[]
      >`select count(*)::int as after from audit_entries`
      expect(after).toBe(n)
    })
  })
}
