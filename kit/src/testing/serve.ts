/** Serving an app the way production does (the kit's runner), on a free loopback port. */
import type { AnyElysia } from 'elysia'
import type { ServiceConfig } from '../config.ts'
import { createService, type RequestHandler, type RunningService } from '../service.ts'
import { silentLogger } from './silent-logger.ts'

/**
 * Serves `app` with `createService` on 127.0.0.1 and a free port: no Consul, no
 * signal handlers, silent logs. Stop it with `stop()`.
 * @example const gateway = await serveForTest('gateway', createGateway(deps))
 */
export function serveForTest(
  name: string,
  app: AnyElysia | RequestHandler,
  config: Partial<ServiceConfig> = {},
  o: { maxRequestBodyBytes?: number } = {},
): Promise<RunningService> {
  return createService({
    name,
    app,
    config: {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: 0,
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: 500,
      ...config,
    },
    logger: silentLogger(),
    handleSignals: false,
    maxRequestBodyBytes: o.maxRequestBodyBytes,
  })
}
