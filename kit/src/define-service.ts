/**
 * The composition root every deployable shares (the role .NET Aspire's
 * `AddServiceDefaults` plays): one call that reads and validates the config,
 * makes the logger and lifecycle, connects the stores a service declares (each
 * with its readiness check and its close on shutdown), wires its events, builds
 * its app, and serves it with Consul registration and graceful shutdown. A
 * service's `main.ts` is a short declaration; what it builds is its own code.
 *
 * Configuration errors anywhere in it (a missing variable, a bad routes file, a
 * service that cannot find its keys) stop the process with exit 78 and one line
 * per problem (EX_CONFIG).
 */
import type { Static, TObject } from '@sinclair/typebox'
import type { AnyElysia } from 'elysia'
import type { Sql } from 'postgres'
import { type BaseConfig, ConfigError, type LoadConfigOptions, loadConfig } from './config.ts'
import { consulClient, discoverService } from './consul.ts'
import { ERASURE_AUDIENCE, ERASURE_TOKEN_TYPE } from './erasure.ts'
import { type Eventing, type EventingOptions, startEventing } from './events/eventing.ts'
import { type KafkaSecurity, kafkaSecurity } from './events/kafka-security.ts'
import type { HealthCheck } from './health.ts'
import { probeHealth } from './health-probe.ts'
import { runtimeName } from './http-server.ts'
import { accessTokenVerifier, type JwtVerifier } from './jwt.ts'
import { createLogger, type Logger } from './logger.ts'
import { connectPostgres, type Migration, migrate } from './postgres.ts'
import {
  type AppEnvironment,
  createService,
  type Lifecycle,
  type RequestHandler,
  type Resource,
  type RunningService,
} from './service.ts'
import { createMetrics, type Metrics } from './telemetry/metrics.ts'
import { startTracing } from './telemetry/tracing.ts'
import { clientTlsFiles, readClientTls, tlsFetchInit, tlsSettings } from './tls-config.ts'

/** What a service's `build` gets: its config, logger, and ways to declare what it uses. */
export interface ServiceContext<C> {
  name: string
  config: Readonly<C>
  logger: Logger
  production: boolean
  lifecycle: Lifecycle
  /** KAFKA_BROKERS as host:port entries; undefined without Kafka. */
  brokers: string[] | undefined
  /** KAFKA_SASL_* and KAFKA_TLS* checked; undefined: plaintext without authentication. */
  kafkaSecurity: KafkaSecurity | undefined
  /** What `baseApp` needs (logger, production, lifecycle, metrics, every declared readiness check). */
  app: AppEnvironment
  /** The service's metrics registry (served on /metrics). */
  metrics: Metrics
  /** Connects DATABASE_URL, applies `migrations`, and adds its check and close. */
  postgres(migrations: Migration[]): Promise<Sql>
  /**
   * Starts the service's events (outbox relay, publisher, consumer) on
   * KAFKA_BROKERS, adding their readiness check and resources.
   */
  events(o: Omit<EventingOptions, 'service' | 'brokers' | 'security' | 'logger'>): Eventing
  /** The access-token verifier for AccessTokenConfig settings. */
  verifier(discover?: () => Promise<string>): JwtVerifier
  /** The verifier of the auth service's erasure tokens (account deletion), same keys. */
  erasureVerifier(): JwtVerifier
  /**
   * The base URL of a passing instance of another service, through Consul (`https://`
   * when it registered as HTTPS). @throws when CONSUL_HTTP_ADDR is unset or none is passing.
   */
  discover(service: string): Promise<string>
  /** `fetch` options for calling another service: the private CA and this service's client certificate, read on each call. */
  upstreamInit(): RequestInit
  /** Something to close on shutdown (after the server drained), and its readiness check if any. */
  use(resource: Resource, check?: HealthCheck): void
  /** A readiness check computed on each probe (e.g. one whose target changes). */
  check(checks: () => HealthCheck[]): void
  /**
   * Resolves once the server listens: work that need not happen before the first
   * request (connecting to Kafka) waits for it. `events()` already does.
   */
  listening: Promise<void>
}

export interface ServiceDefinition<S extends TObject> {
  name: string
  config: S
  /** What NODE_ENV=production also requires. */
  configOptions?: LoadConfigOptions
  /** Builds the app from the context: an Elysia app, or a handler in front of one. */
  build(ctx: ServiceContext<Static<S>>): Promise<AnyElysia | RequestHandler>
  /** Largest request body in bytes (default 1 MiB). */
  maxRequestBodyBytes?: (config: Readonly<Static<S>>) => number
  /**
   * Consul tags of this instance (the runtime's name, `bun` or `deno`, is always
   * added): what tells instances of one service apart, such as a read-only one.
   */
  tags?: string[]
}

export interface DefineServiceOptions {
  /** Default `process.env`. */
  env?: Record<string, string | undefined>
  /** Install SIGTERM/SIGINT handlers that stop and exit. Default true. */
  handleSignals?: boolean
}

/**
 * @throws only what is not a configuration error (those exit 78, or are rethrown
 *   as ConfigError when `handleSignals` is false, as tests run it).
 * @example
 * await defineService({ name: 'posts', config: PostsConfig, build: async (ctx) => createApp({ ...ctx.app, ... }) })
 */
export async function defineService<S extends TObject>(
  def: ServiceDefinition<S>,
  o: DefineServiceOptions = {},
): Promise<RunningService> {
  // The container healthcheck runs the service's own binary: `service health-probe`.
  if (process.argv[2] === 'health-probe') process.exit(await probeHealth(o.env ?? process.env))
  try {
    return await run(def, o)
  } catch (err) {
    if (!(err instanceof ConfigError) || o.handleSignals === false) throw err
    process.stderr.write(`${err.message}\n`)
    process.exit(78)
  }
}

/** The OTLP log export when OTEL_LOGS_EXPORTER=otlp and a collector is named; loaded only then. */
async function startShippingLogs(service: string, c: BaseConfig) {
  if (c.OTEL_LOGS_EXPORTER !== 'otlp' || c.OTEL_SDK_DISABLED || !c.OTEL_EXPORTER_OTLP_ENDPOINT)
    return undefined
  const { startLogExport } = await import('./telemetry/log-export.ts')
  return startLogExport(service, {
    ...c,
    OTEL_EXPORTER_OTLP_ENDPOINT: c.OTEL_EXPORTER_OTLP_ENDPOINT,
  })
}

async function run<S extends TObject>(
  def: ServiceDefinition<S>,
  o: DefineServiceOptions,
): Promise<RunningService> {
  // Bun's performance.now() counts from process start: this is module loading.
  const loadedAt = performance.now()
  const config = loadConfig(def.config, o.env ?? process.env, def.configOptions) as Readonly<
    Static<S> & BaseConfig & { PORT: number }
  >
  // Checked before anything starts: a bad TLS setting is a configuration error (exit 78).
  const tls = tlsSettings(config)
  const kafkaSecurityConfig = kafkaSecurity(config)
  const shipped = await startShippingLogs(def.name, config)
  const logger = createLogger({ service: def.name, level: config.LOG_LEVEL, also: shipped?.stream })
  const lifecycle: Lifecycle = { shuttingDown: false }
  // First in, so closed last: spans and lines of the shutdown itself are exported.
  const resources: Resource[] = [
    { name: 'log export', close: async () => shipped?.shutdown() },
    { name: 'tracing', close: async () => tracing?.shutdown() },
  ]
  const checks: (() => HealthCheck[])[] = []
  const production = config.NODE_ENV === 'production'
  const metrics = createMetrics(def.name)
  const tracing = await startTracing(def.name, config)
  const settings = config as unknown as Record<string, string | undefined>
  const listening = Promise.withResolvers<void>()
  let consul: ReturnType<typeof consulClient> | undefined
  const ctx: ServiceContext<Static<S>> = {
    name: def.name,
    config,
    logger,
    production,
    lifecycle,
    brokers: config.KAFKA_BROKERS?.split(','),
    kafkaSecurity: kafkaSecurityConfig,
    app: { logger, production, lifecycle, metrics, checks: () => checks.flatMap((c) => c()) },
    metrics,
    async postgres(migrations) {
      const url = settings.DATABASE_URL
      if (!url)
        throw new ConfigError([
          { variable: 'DATABASE_URL', expected: 'a postgres:// URL', got: undefined },
        ])
      const db = await connectPostgres({ url, logger })
      await migrate(db.sql, def.name, migrations, logger)
      ctx.use(
        { name: 'postgres', close: () => db.close() },
        { name: 'postgres', check: async () => void (await db.sql`select 1`) },
      )
      return db.sql
    },
    events(e) {
      const events = startEventing({
        ...e,
        service: def.name,
        brokers: ctx.brokers,
        security: ctx.kafkaSecurity,
        logger,
        metrics,
        startAfter: listening.promise,
      })
      resources.push(...events.resources)
      checks.push(() => [events.check])
      return events
    },
    verifier: (discover) => accessTokenVerifier(settings as never, { discover }),
    erasureVerifier: () =>
      accessTokenVerifier(settings as never, {
        type: ERASURE_TOKEN_TYPE,
        audience: ERASURE_AUDIENCE,
      }),
    async discover(service) {
      if (!settings.CONSUL_HTTP_ADDR)
        throw new ConfigError([
          {
            variable: 'CONSUL_HTTP_ADDR',
            expected: `the Consul agent, to find ${service}`,
            got: undefined,
          },
        ])
      consul ??= consulClient(settings.CONSUL_HTTP_ADDR, settings.CONSUL_HTTP_TOKEN)
      return discoverService(consul, service)
    },
    upstreamInit() {
      const pem = readClientTls(clientTlsFiles(settings))
      return pem ? (tlsFetchInit(pem) as RequestInit) : {}
    },
    use(resource, check) {
      resources.push(resource)
      if (check) checks.push(() => [check])
    },
    check: (more) => void checks.push(more),
    listening: listening.promise,
  }
  const app = await def.build(ctx)
  const builtAt = performance.now()
  return createService({
    name: def.name,
    app,
    config,
    logger,
    lifecycle,
    resources,
    maxRequestBodyBytes: def.maxRequestBodyBytes?.(config),
    tags: [...(def.tags ?? []), runtimeName()],
    handleSignals: o.handleSignals,
    startup: { modulesMs: loadedAt, buildMs: builtAt - loadedAt },
    tls,
    onListening: listening.resolve,
  })
}
