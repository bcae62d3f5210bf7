/** The gateway is the public listener: /metrics and /gateway/routes are for loopback clients or the admin token. */
import { expect, test } from 'bun:test'
import { requestContext } from '@civildiy/kit'
import { createTestIssuer, silentLogger } from '@civildiy/kit/testing'
import { createGateway } from './app.ts'
import type { InstanceDirectory } from './discovery/instance-directory.ts'
import { createRetryBudget } from './proxy/retry-budget.ts'
import { createSlidingWindowLimiter } from './rate-limit/sliding-window.ts'
import { compileRoutes } from './routes/route-table.ts'
import { createBalancer } from './upstream/balancer.ts'

const directory: InstanceDirectory = {
  instances: () => [],
  onChange: () => {},
  status: () => ({ consul: { reachable: true, lastContactAgoMs: 0 }, services: {} }),
  ready: async () => true,
  close: () => {},
}
const adminToken = 'an-admin-token-of-some-length'
const gateway = createGateway({
  table: compileRoutes({ routes: [{ prefix: '/svc', service: 'svc' }] }),
  directory,
  balancer: createBalancer(),
  budget: createRetryBudget(),
  verify: (await createTestIssuer()).verify,
  limiter: createSlidingWindowLimiter(),
  logger: silentLogger(),
  production: true,
  adminToken,
})

const from = (clientAddress: string, path: string, token?: string) =>
  requestContext.run({ requestId: 'r', clientAddress }, () =>
    gateway.handle(
      new Request(`http://api.example${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
    ),
  )

test.each(['/metrics', '/gateway/routes'])(
  '%s: 403 from afar, 200 with the token or from loopback',
  async (path) => {
    const far = await from('203.0.113.9', path)
    expect(far.status).toBe(403)
    expect(far.headers.get('content-type')).toBe('application/problem+json')
    expect((await from('203.0.113.9', path, 'wrong-token-of-some-length')).status).toBe(403)
    expect((await from('203.0.113.9', path, adminToken)).status).toBe(200)
    expect((await from('127.0.0.1', path)).status).toBe(200)
  },
)
