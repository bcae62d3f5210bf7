/** `GET /auth/audit`: the audit trail for admins, filtered and paged. Read only. */
import { type JwtVerifier, requireRole } from '@civildiy/kit'
import { Elysia } from 'elysia'
import { AuditPage, AuditQuery } from './model.ts'
import type { AuditService } from './service.ts'

export function auditRoutes(d: { audit: AuditService; verify: JwtVerifier }) {
  return new Elysia({ name: 'audit-routes' })
    .use(requireRole(d.verify, 'admin'))
    .get('/auth/audit', ({ query }) => d.audit.query({ ...query, limit: query.limit ?? 50 }), {
      query: AuditQuery,
      response: { 200: AuditPage },
      detail: {
        summary:
          'The audit trail, newest first: security events and privileged actions of every service (admins)',
        tags: ['admin'],
      },
    })
}
