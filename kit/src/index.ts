/**
 * @civildiy/kit: what every CivilDIY service shares. No side effects on import.
 */

export { type Span, SpanStatusCode } from '@opentelemetry/api'
export { AuditRecorded, AuditRecordedData, auditEvent } from './audit.ts'
export {
  AccessTokenConfig,
  BaseConfig,
  ConfigError,
  type ConfigProblem,
  type LoadConfigOptions,
  loadConfig,
  Port,
  PostgresConfig,
  type ServiceConfig,
} from './config.ts'
export {
  type ConsulRegistration,
  consulClient,
  discoverService,
  NoInstanceError,
  type RegisteredService,
  registerWithConsul,
} from './consul.ts'
export {
  currentClientAddress,
  currentRequestId,
  type RequestContext,
  requestContext,
} from './context.ts'
export {
  type DefineServiceOptions,
  defineService,
  type ServiceContext,
  type ServiceDefinition,
} from './define-service.ts'
export { denoExecutable, denoPermissions, denoRunCommand } from './deno-command.ts'
export {
  ERASURE_AUDIENCE,
  ERASURE_TOKEN_TYPE,
  ErasureReport,
  erasureRoute,
} from './erasure.ts'
export {
  AppError,
  BadRequestError,
  ConflictError,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  type ProblemDetails,
  problemResponse,
  UnauthorizedError,
  ValidationError,
} from './errors.ts'
export {
  type CloudEvent,
  createEvent,
  defineEvent,
  type EventDefinition,
  eventData,
  eventEnvelope,
  InvalidEventError,
  parseEvent,
} from './events/envelope.ts'
export { type Eventing, type EventingOptions, startEventing } from './events/eventing.ts'
export {
  type ConsumerStatus,
  createEventPublisher,
  type EventConsumer,
  type EventConsumerOptions,
  type EventHandler,
  type EventPublisher,
  type KafkaConnection,
  type OutgoingEvent,
  startEventConsumer,
} from './events/kafka.ts'
export {
  type GroupInfo,
  type KafkaInspector,
  openKafkaInspector,
  type TopicInfo,
  type TopicMessage,
} from './events/kafka-inspector.ts'
export { type KafkaSecurity, kafkaSecurity } from './events/kafka-security.ts'
export {
  enqueueEvents,
  OUTBOX_MIGRATIONS,
  type OutboxRelay,
  type OutboxRelayOptions,
} from './events/outbox.ts'
export { type RelayLoopOptions, startRelayLoop } from './events/relay-loop.ts'
export { type CheckResult, type HealthCheck, healthRoutes, runChecks } from './health.ts'
export { httpDefaults, requestIdOf } from './http.ts'
export {
  type HttpServer,
  type HttpServerOptions,
  type RuntimeName,
  runtimeName,
  serveHttp,
  watchFiles,
} from './http-server.ts'
export { JsonInteger } from './json-integer.ts'
export {
  ACCESS_TOKEN_TYPE,
  type AuthContext,
  bearerToken,
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierOptions,
  ROLES,
  type Role,
  requireAuth,
  requireRole,
  rolesOf,
} from './jwt.ts'
export { createLogger, type Logger, type LoggerOptions } from './logger.ts'
export { apiDocs, routeFacts, UNDOCUMENTED } from './openapi/api-docs.ts'
export { docsRoutes } from './openapi/docs-page.ts'
export {
  cleanSchema,
  documentPath,
  normalizeOpenApi,
  operationIdOf,
} from './openapi/normalize-document.ts'
export {
  bearerAuthScheme,
  problemResponseObject,
  problemSchema,
} from './openapi/problem-schema.ts'
export {
  type ConnectOptions,
  connectPostgres,
  type Database,
  type Migration,
  migrate,
} from './postgres.ts'
export {
  type AppEnvironment,
  type BaseAppOptions,
  baseApp,
  createService,
  type Lifecycle,
  type RequestHandler,
  type Resource,
  type RunningService,
  type ServiceOptions,
} from './service.ts'
export {
  createMetrics,
  LATENCY_BUCKETS,
  type Metrics,
  methodLabel,
} from './telemetry/metrics.ts'
export {
  clientSpan,
  contextFrom,
  inSpan,
  inTrace,
  nameServerSpan,
  SpanKind,
  serverSpan,
  startTracing,
  type Tracing,
  traceHeaders,
  tracer,
  tracingEnabled,
} from './telemetry/tracing.ts'
export {
  type ClientTlsFiles,
  clientTlsFiles,
  readClientTls,
  type TlsFetchInit,
  type TlsSettings,
  tlsFetchInit,
  tlsSettings,
} from './tls-config.ts'
export {
  acceptWebSocket,
  isWebSocketUpgrade,
  type LiveSocket,
  MAX_WEBSOCKET_FRAME_BYTES,
  type WebSocketSession,
} from './websocket.ts'
