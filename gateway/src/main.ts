/**
 * The gateway: routes from GATEWAY_ROUTES_FILE (or the defaults), the instances
 * of every routed service watched in Consul, tokens verified against the auth
 * service's JWKS, rate limits in Redis (Upstash REST) or in process.
 */
import { defineService } from '@civildiy/kit'
import { createGateway } from './app.ts'
import { GatewayConfig, GatewayProductionNeeds } from './config.ts'
import { openDenyList } from './deny-list/deny-list.ts'
import { authFromDirectory, jwksFromDirectory, openDirectory } from './discovery/open-directory.ts'
import { countHealthEvents } from './gateway-metrics.ts'
import { createRetryBudget } from './proxy/retry-budget.ts'
import { upstreamTls } from './proxy/upstream-tls.ts'
import { openRateLimiter } from './rate-limit/open-limiter.ts'
import { routesFromConfig } from './routes/route-table.ts'
import { createBalancer } from './upstream/balancer.ts'

await defineService({
  name: 'gateway',
  config: GatewayConfig,
  configOptions: GatewayProductionNeeds,
  maxRequestBodyBytes: (c) => c.MAX_BODY_BYTES,
  async build(ctx) {
    const c = ctx.config
    const table = await routesFromConfig(c)
    const directory = openDirectory(c, table.services, ctx.logger)
    // Readiness does not fail with Consul: the last known instances keep serving.
    ctx.use(
      { name: 'consul watches', close: async () => directory.close() },
      { name: 'consul', check: async () => ({ ...directory.status() }) },
    )
    if (!(await directory.ready(5_000)))
      ctx.logger.warn('some services had no answer from Consul yet')
    // HTTPS upstreams: verified against TLS_CA_FILE, with this gateway's certificate.
    const tls = upstreamTls(c)
    ctx.use({ name: 'upstream tls', close: async () => tls.close() })
    const onEvent = countHealthEvents(ctx.metrics, (e) =>
      ctx.logger.warn(e, `upstream ${e.event.replaceAll('_', ' ')}`),
    )
    const denied = openDenyList(
      c,
      authFromDirectory(directory, c.AUTH_SERVICE_NAME),
      tls,
      ctx.logger,
    )
    if (denied) ctx.use({ name: 'deny list', close: async () => denied.close() })
    return createGateway({
      ...ctx.app,
      table,
      directory,
      balancer: createBalancer(c.LOAD_BALANCING, { onEvent }),
      budget: createRetryBudget(),
      verify: ctx.verifier(jwksFromDirectory(directory, c.AUTH_SERVICE_NAME)),
      limiter: openRateLimiter(c, ctx.logger),
      adminToken: c.GATEWAY_ADMIN_TOKEN,
      denied,
      upstreamTls: tls.current,
    })
  },
})
