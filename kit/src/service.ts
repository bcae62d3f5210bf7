/**
 * Service defaults (one call wires health, logging, request ids, errors, OpenAPI)
 * and the runner that serves a service, registers it with Consul and shuts it
 * down gracefully.
 *
 * - `baseApp()` builds the Elysia app every service extends with its routes, so
 *   route tests (`app.handle(new Request(...))`) see the same behaviour as production.
 * - `createService()` serves it, registers with Consul when `CONSUL_HTTP_ADDR` is set,
 *   and on SIGTERM/SIGINT: readiness turns 503, deregisters, stops accepting, drains
 *   in-flight requests (bounded by `SHUTDOWN_TIMEOUT_MS`), closes resources in
 *   reverse order (consumers, relays, producers, pools) and exits 0.
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { type AnyElysia, Elysia } from 'elysia'
import type { ServiceConfig } from './config.ts'
import {
  consulClient,
  defaultAdvertiseAddress,
  type RegisteredService,
  registerWithConsul,
} from './consul.ts'
import { requestContext } from './context.ts'
import { ForbiddenError, problemResponse } from './errors.ts'
import { type HealthCheck, healthRoutes } from './health.ts'
import { httpDefaults, requestIdOf } from './http.ts'
import { runtimeName, serveHttp } from './http-server.ts'
import type { Logger } from './logger.ts'
import { apiDocs } from './openapi/api-docs.ts'
import { createMetrics, type Metrics } from './telemetry/metrics.ts'
import { serverSpan } from './telemetry/tracing.ts'
import type { TlsSettings } from './tls-config.ts'

/** Shared between the app (readiness) and the runner (shutdown, registration). */
export interface Lifecycle {
  shuttingDown: boolean
  /**
   * This process's Consul service id, set by the runner before it registers. The
   * readiness check answers 503 to a check for another id: a registration left by
   * a killed process must not pass on its successor that reuses the port.
   */
  instanceId?: string
}

export interface BaseAppOptions {
  name: string
  version?: string
  logger: Logger
  production: boolean
  /** Readiness checks (database ping, broker connected, ...). */
  checks?: () => HealthCheck[]
  lifecycle?: Lifecycle
  /** The service's metrics, served on `/metrics` (default: a registry of the app's own). */
  metrics?: Metrics
  /**
   * Who may read `/metrics` (default: anyone, right for a service only its network
   * reaches). The gateway, the one public listener, restricts it.
   */
  metricsAllowed?: (request: Request) => boolean
}

/** What a service's `createApp` needs besides its own dependencies; pass it on to `baseApp`. */
export type AppEnvironment = Omit<BaseAppOptions, 'name' | 'version'>

/**
 * @example
 * export const createApp = (deps: Deps) => baseApp({ name: 'auth', logger: deps.logger, production: false }).use(userRoutes(deps))
 */
export function baseApp(o: BaseAppOptions) {
  const lifecycle = o.lifecycle ?? { shuttingDown: false }
  const metrics = o.metrics ?? createMetrics(o.name)
  return new Elysia({ name: `${o.name}-app` })
    .use(httpDefaults({ logger: o.logger, production: o.production, metrics }))
    .get(
      '/metrics',
      async ({ request, set }) => {
        if (o.metricsAllowed && !o.metricsAllowed(request))
          throw new ForbiddenError('/metrics is for loopback clients or the admin token')
        set.headers['content-type'] = metrics.registry.contentType
        return metrics.exposition()
      },
      { detail: { hide: true } },
    )
    .use(apiDocs({ title: `CivilDIY ${o.name} service`, version: o.version ?? '0.1.0' }))
    .use(
      healthRoutes(
        o.checks ?? (() => []),
        () => lifecycle.shuttingDown,
        () => lifecycle.instanceId,
      ),
    )
}

/** Since process start (Bun's performance.now()): modules, then build (config, connections, app), then serve; ms, 0.1 ms steps. */
function startupFigures(s: { modulesMs: number; buildMs: number }) {
  const round = (ms: number) => Math.round(ms * 10) / 10
  return { modules: round(s.modulesMs), build: round(s.buildMs), total: round(performance.now()) }
}

/** RFC 9112 §3.2: a request without a Host is answered 400. */
function missingHost(request: Request): Response {
  return problemResponse({
    status: 400,
    code: 'bad_request',
    detail: 'The request has no Host header',
    requestId: requestIdOf(request),
    headers: { connection: 'close' },
  })
}

/** The app's own `/health/ready` for this instance, asked in process. */
async function ownReadiness(app: AnyElysia | RequestHandler, id: string) {
  const res = await app.handle(new Request(`http://localhost/health/ready?instance=${id}`))
  return { ok: res.ok, note: await res.text() }
}

/** Something to close on shutdown. */
export interface Resource {
  name: string
  close(): Promise<void>
}

/** Anything that answers requests: an Elysia app, or a handler in front of one (the gateway). */
export interface RequestHandler {
  handle(request: Request): Response | Promise<Response>
}

export interface ServiceOptions {
  name: string
  app: AnyElysia | RequestHandler
  config: ServiceConfig
  logger: Logger
  lifecycle?: Lifecycle
  /** Closed in reverse order after the server drained. */
  resources?: Resource[]
  tags?: string[]
  /** Largest request body in bytes; larger ones get 413 from the server. Default 1 MiB. */
  maxRequestBodyBytes?: number
  /** Install SIGTERM/SIGINT handlers that stop and exit. Default true. */
  handleSignals?: boolean
  /** Where start-up went so far (ms), logged with the listening line. */
  startup?: { modulesMs: number; buildMs: number }
  /** Called once the server accepts connections (before Consul registration). */
  onListening?: () => void
  /** Serve HTTPS with these files (see tls-config.ts); plain HTTP without. */
  tls?: TlsSettings
}

export interface RunningService {
  url: string
  port: number
  /** This instance's Consul service id, when registered. */
  serviceId?: string
  /** Graceful stop (idempotent); does not exit the process. */
  stop(): Promise<void>
}

/**
 * @throws when the port cannot be bound or the first Consul registration fails.
 * @example
 * const svc = await createService({ name: 'auth', app, config, logger, resources: [db, relay] })
 */
export async function createService(o: ServiceOptions): Promise<RunningService> {
  const lifecycle = o.lifecycle ?? { shuttingDown: false }
  const server = serveHttp({
    hostname: o.config.HOST,
    port: o.config.PORT,
    maxRequestBodyBytes: o.maxRequestBodyBytes ?? 1024 * 1024,
    fetch: (request, clientAddress) => {
      // HTTP/1.0 without Host, or an empty Host: Bun's URL is then a bare path.
      if (!request.url.startsWith('http')) return missingHost(request)
      return requestContext.run({ requestId: requestIdOf(request), clientAddress }, () =>
        serverSpan(request, () => o.app.handle(request)),
      )
    },
    error: (err) => {
      o.logger.error({ err }, 'unhandled error outside the app')
      return problemResponse({
        status: 500,
        code: 'internal_error',
        detail: 'An internal error occurred',
      })
    },
    tls: o.tls,
    onTlsReload: (e) =>
      e.error
        ? o.logger.error(
            { err: e.error },
            'the new certificate could not be served; the old one stays',
          )
        : o.logger.info('certificate reloaded'),
  })
  const port = server.port
  const scheme = o.tls ? 'https' : 'http'
  const url = `${scheme}://${o.config.HOST === '0.0.0.0' ? '127.0.0.1' : o.config.HOST}:${port}`
  o.logger.info(
    { url, runtime: runtimeName(), startupMs: o.startup && startupFigures(o.startup) },
    `${o.name} listening`,
  )
  o.onListening?.()
  let registration: RegisteredService | undefined
  if (o.config.CONSUL_HTTP_ADDR) {
    const id = `${o.name}-${randomUUID().slice(0, 8)}`
    lifecycle.instanceId = id
    try {
      registration = await registerWithConsul(
        consulClient(o.config.CONSUL_HTTP_ADDR, o.config.CONSUL_HTTP_TOKEN),
        {
          id,
          name: o.name,
          address: o.config.ADVERTISE_ADDRESS ?? defaultAdvertiseAddress(),
          port,
          tags: o.tags,
          checkPath: `/health/ready?instance=${id}`,
          deregisterCriticalServiceAfter: o.config.CONSUL_DEREGISTER_AFTER,
          scheme,
          // Over HTTPS the instance reports its own readiness (a TTL check).
          selfCheck: o.tls ? () => ownReadiness(o.app, id) : undefined,
        },
        o.logger,
      )
    } catch (err) {
      await server.stop(true)
      throw new Error(
        `could not register with Consul at ${o.config.CONSUL_HTTP_ADDR}: ${(err as Error).message}`,
      )
    }
  }
  let stopping: Promise<void> | null = null
  const stop = () => {
    stopping ??= (async () => {
      lifecycle.shuttingDown = true
      await registration?.deregister()
      const drained = server.stop(false)
      const timedOut = await Promise.race([
        drained.then(() => false),
        sleep(o.config.SHUTDOWN_TIMEOUT_MS, true, { ref: false }),
      ])
      if (timedOut) {
        o.logger.warn(
          { timeoutMs: o.config.SHUTDOWN_TIMEOUT_MS },
          'in-flight requests did not finish in time; closing them',
        )
        await server.stop(true)
      }
      for (const r of (o.resources ?? []).toReversed()) {
        try {
          await r.close()
        } catch (err) {
          o.logger.warn({ resource: r.name, err: (err as Error).message }, 'error while closing')
        }
      }
      o.logger.info(`${o.name} stopped`)
    })()
    return stopping
  }
  if (o.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        o.logger.info({ signal }, 'shutting down')
        void stop().then(
          () => process.exit(0),
          () => process.exit(1),
        )
      })
    }
  }
  return { url, port, serviceId: registration?.id, stop }
}
