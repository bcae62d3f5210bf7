/**
 * Boots the gateway: routes from GATEWAY_ROUTES_FILE (or the defaults), the
 * instances of every routed service watched in Consul, tokens verified against
 * the auth service's JWKS, rate limits in Redis (Upstash REST) or in process.
 */
import {
  consulClient,
  createJwtVerifier,
  createLogger,
  createService,
  loadConfigOrExit,
  NoInstanceError,
} from '@civildiy/kit'
import { createGateway } from './app.ts'
import { GatewayConfig, GatewayProductionNeeds } from './config.ts'
import { watchInstances } from './discovery/instance-directory.ts'
import { createRetryBudget } from './proxy/retry-budget.ts'
import { createSlidingWindowLimiter } from './rate-limit/sliding-window.ts'
import { createUpstashLimiter } from './rate-limit/upstash-limiter.ts'
import defaultRoutes from './routes/default-routes.ts'
import { compileRoutes, loadRoutesFile, RouteConfigError } from './routes/route-table.ts'
import { createBalancer } from './upstream/balancer.ts'

const config = loadConfigOrExit(GatewayConfig, GatewayProductionNeeds)
const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL })
if (!config.CONSUL_HTTP_ADDR) {
  logger.fatal('set CONSUL_HTTP_ADDR: the gateway finds every service through Consul')
  process.exit(78)
}
let table: ReturnType<typeof compileRoutes>
try {
  table = config.GATEWAY_ROUTES_FILE
    ? await loadRoutesFile(config.GATEWAY_ROUTES_FILE)
    : compileRoutes({
        ...defaultRoutes,
        rateLimits: {
          credentials: {
            ...defaultRoutes.rateLimits!.credentials!,
            limit: config.RATE_LIMIT_CREDENTIALS_PER_MIN,
          },
          writes: { ...defaultRoutes.rateLimits!.writes!, limit: config.RATE_LIMIT_WRITES_PER_MIN },
        },
        corsOrigins: config.CORS_ORIGINS?.split(',').map((o) => o.trim()),
      })
} catch (err) {
  if (!(err instanceof RouteConfigError)) throw err
  logger.fatal(err.message)
  process.exit(78)
}
const consul = consulClient(config.CONSUL_HTTP_ADDR, config.CONSUL_HTTP_TOKEN)
const services = [...new Set([...table.services, config.AUTH_SERVICE_NAME])]
const directory = watchInstances(consul, services, logger)
const verify = createJwtVerifier({
  jwks:
    config.AUTH_JWKS_URL ??
    (async () => {
      const auth = directory.instances(config.AUTH_SERVICE_NAME)[0]
      if (!auth) throw new NoInstanceError(`no passing instance of ${config.AUTH_SERVICE_NAME}`)
      return `${auth.url}/.well-known/jwks.json`
    }),
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
})
const limiter =
  config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN
    ? createUpstashLimiter(
        { url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN },
        logger,
      )
    : createSlidingWindowLimiter()
const lifecycle = { shuttingDown: false }
const gateway = createGateway({
  table,
  directory,
  balancer: createBalancer(config.LOAD_BALANCING, {
    onEvent: (e) => logger.warn(e, `upstream ${e.event.replaceAll('_', ' ')}`),
  }),
  budget: createRetryBudget(),
  verify,
  limiter,
  logger,
  production: config.NODE_ENV === 'production',
  lifecycle,
  adminToken: config.GATEWAY_ADMIN_TOKEN,
  checks: () => [
    {
      name: 'consul',
      // Readiness does not fail with Consul: the last known instances keep serving.
      check: async () => ({ ...directory.status() }),
    },
  ],
})
if (!(await directory.ready(5_000))) logger.warn('some services had no answer from Consul yet')
await createService({
  name: 'gateway',
  app: gateway,
  config,
  logger,
  lifecycle,
  maxRequestBodyBytes: config.MAX_BODY_BYTES,
  resources: [{ name: 'consul watches', close: async () => directory.close() }],
})
