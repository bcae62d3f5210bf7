/**
 * Environment configuration: parsed once, validated against a TypeBox schema,
 * defaults applied, strings coerced to numbers and booleans, then frozen.
 *
 * The kit is the only place that reads `process.env`; services declare what they
 * need as a schema and receive a typed object.
 */
import { type Static, type TObject, Type as t } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** One variable that is missing or invalid. */
export interface ConfigProblem {
  variable: string
  expected: string
  got: string | undefined
}

/** Raised when the environment does not satisfy the schema; `message` is one line per problem. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly problems: ConfigProblem[]) {
    super(
      problems
        .map(
          (p) =>
            `config: ${p.variable} ${p.got === undefined ? 'is missing' : `is "${p.got}"`}; expected ${p.expected}`,
        )
        .join('\n'),
    )
  }
}

export interface LoadConfigOptions {
  /**
   * Variables that must be set when NODE_ENV=production: what is optional in
   * development (an embedded store, keys found through Consul) is refused there.
   * An inner array means "one of these".
   */
  requiredInProduction?: (string | string[])[]
}

/**
 * Parses `env` against `schema` (property names are the variable names).
 *
 * @throws ConfigError naming every missing or invalid variable and what was expected.
 * @example
 * const Config = t.Object({ PORT: t.Integer({ default: 3000, minimum: 0 }) })
 * const config = loadConfig(Config) // { PORT: 3000 }, frozen
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): Readonly<Static<S>> {
  const input: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const raw = env[key]
    if (raw !== undefined && raw !== '') input[key] = raw
  }
  const withDefaults = Value.Default(schema, input)
  const converted = Value.Convert(schema, withDefaults) as Record<string, unknown>
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  for (const error of Value.Errors(schema, converted)) {
    const variable = error.path.replace(/^\//, '').split('/')[0] || error.path
    if (seen.has(variable)) continue
    seen.add(variable)
    const prop = schema.properties[variable] as { description?: string } | undefined
    problems.push({
      variable,
      expected: prop?.description ?? error.message,
      got: env[variable] || undefined,
    })
  }
  if (converted.NODE_ENV === 'production') {
    for (const need of options.requiredInProduction ?? []) {
      const names = Array.isArray(need) ? need : [need]
      if (names.some((n) => converted[n] !== undefined) || names.some((n) => seen.has(n))) continue
      const described = names.map(
        (n) => (schema.properties[n] as { description?: string } | undefined)?.description ?? n,
      )
      problems.push({
        variable: names.join(' or '),
        expected: `${described.join(', or ')} (required when NODE_ENV=production)`,
        got: undefined,
      })
    }
  }
  if (problems.length) throw new ConfigError(problems)
  return Object.freeze(converted) as Readonly<Static<S>>
}

/** `host:port` list, e.g. `KAFKA_BROKERS=kafka:9092,kafka2:9092`. */
export const HostPortList = (description: string) =>
  t.String({ pattern: '^[^,:\\s]+:\\d+(,[^,:\\s]+:\\d+)*$', description })

/**
 * What every service reads: where it listens and what address it advertises,
 * where Consul and Kafka are, logging and shutdown. Services extend it with their
 * own settings, PORT (see {@link Port}) among them.
 */
export const BaseConfig = t.Object({
  NODE_ENV: t.Union([t.Literal('development'), t.Literal('test'), t.Literal('production')], {
    default: 'development',
    description: 'one of development, test, production',
  }),
  HOST: t.String({ default: '0.0.0.0', description: 'an interface to listen on' }),
  ADVERTISE_ADDRESS: t.Optional(
    t.String({
      minLength: 1,
      description: 'the address other containers reach this instance at (a service name or IP)',
    }),
  ),
  CONSUL_HTTP_ADDR: t.Optional(t.String({ description: 'Consul agent address, host:port or URL' })),
  CONSUL_HTTP_TOKEN: t.Optional(
    t.String({
      minLength: 1,
      description: "a Consul ACL token (secret id) with this service's policy",
    }),
  ),
  CONSUL_DEREGISTER_AFTER: t.Optional(
    t.String({
      pattern: '^\\d+(ms|s|m|h)$',
      description:
        "a Go duration (e.g. 90s, 1m): Consul deregisters an instance whose check stays critical this long (default 1m, Consul's minimum)",
    }),
  ),
  KAFKA_BROKERS: t.Optional(HostPortList('a comma-separated host:port list')),
  // SASL and TLS to Kafka (checked together by kafkaSecurity()).
  KAFKA_SASL_MECHANISM: t.Optional(
    t.Union([t.Literal('plain'), t.Literal('scram-sha-256'), t.Literal('scram-sha-512')], {
      description: 'one of plain, scram-sha-256, scram-sha-512: authenticate to Kafka',
    }),
  ),
  KAFKA_SASL_USERNAME: t.Optional(
    t.String({ minLength: 1, description: "this service's Kafka user" }),
  ),
  KAFKA_SASL_PASSWORD: t.Optional(
    t.String({ minLength: 1, description: "the Kafka user's password" }),
  ),
  KAFKA_TLS: t.Boolean({ default: false, description: 'true: connect to Kafka over TLS' }),
  KAFKA_TLS_CA_FILE: t.Optional(
    t.String({
      minLength: 1,
      description: "a PEM file of the CA that signs the brokers' certificates (implies KAFKA_TLS)",
    }),
  ),
  LOG_LEVEL: t.Union(
    [
      t.Literal('trace'),
      t.Literal('debug'),
      t.Literal('info'),
      t.Literal('warn'),
      t.Literal('error'),
      t.Literal('fatal'),
      t.Literal('silent'),
    ],
    {
      default: 'info',
      description: 'one of trace, debug, info, warn, error, fatal, silent',
    },
  ),
  OTEL_SDK_DISABLED: t.Boolean({ default: false, description: 'true turns tracing off' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: t.Optional(
    t.String({
      pattern: '^https?://',
      description:
        'the OTLP/HTTP endpoint traces go to, e.g. http://collector:4318 (unset: tracing off)',
    }),
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: t.Union([t.Literal('http/protobuf'), t.Literal('http/json')], {
    default: 'http/protobuf',
    description: 'http/protobuf or http/json',
  }),
  OTEL_LOGS_EXPORTER: t.Union([t.Literal('none'), t.Literal('otlp')], {
    default: 'none',
    description:
      'otlp: every log line also goes to OTEL_EXPORTER_OTLP_ENDPOINT as an OpenTelemetry log record (default none: stdout only)',
  }),
  OTEL_SERVICE_NAME: t.Optional(
    t.String({ minLength: 1, description: 'service.name of the spans (default: the service)' }),
  ),
  OTEL_TRACES_SAMPLER: t.Union(
    [
      t.Literal('always_on'),
      t.Literal('always_off'),
      t.Literal('traceidratio'),
      t.Literal('parentbased_always_on'),
      t.Literal('parentbased_always_off'),
      t.Literal('parentbased_traceidratio'),
    ],
    {
      // Not OpenTelemetry's always_on: 10% of new traces keeps tracing within its cost budget (bench/gateway-overhead.ts --tracing).
      default: 'parentbased_traceidratio',
      description: 'an OpenTelemetry sampler name (default parentbased_traceidratio)',
    },
  ),
  OTEL_TRACES_SAMPLER_ARG: t.Number({
    minimum: 0,
    maximum: 1,
    default: 0.1,
    description:
      'the share of new traces sampled, 0..1 (default 0.1; a trace started upstream keeps its decision)',
  }),
  // TLS and mutual TLS between the services (checked together by tlsSettings()).
  TLS_CERT_FILE: t.Optional(
    t.String({ minLength: 1, description: 'a PEM certificate (chain) file: serve HTTPS with it' }),
  ),
  TLS_KEY_FILE: t.Optional(
    t.String({ minLength: 1, description: "the certificate's PEM private key file" }),
  ),
  TLS_CA_FILE: t.Optional(
    t.String({
      minLength: 1,
      description:
        'a PEM file of the CA(s) that sign the services: clients checked against it (TLS_CLIENT_AUTH), upstreams verified with it',
    }),
  ),
  TLS_CLIENT_CERT_FILE: t.Optional(
    t.String({
      minLength: 1,
      description:
        'a PEM certificate this process presents when it calls other services over HTTPS (default: TLS_CERT_FILE)',
    }),
  ),
  TLS_CLIENT_KEY_FILE: t.Optional(
    t.String({ minLength: 1, description: "the client certificate's PEM private key file" }),
  ),
  TLS_CLIENT_AUTH: t.Union([t.Literal('none'), t.Literal('require')], {
    default: 'none',
    description: 'none, or require: a client certificate from TLS_CA_FILE (mutual TLS)',
  }),
  TLS_RELOAD_INTERVAL_MS: t.Integer({
    minimum: 100,
    default: 5_000,
    description: 'ms between checks that the certificate or key file changed',
  }),
  SHUTDOWN_TIMEOUT_MS: t.Integer({
    minimum: 0,
    default: 10_000,
    description: 'milliseconds to drain in-flight requests on shutdown',
  }),
})
export type BaseConfig = Static<typeof BaseConfig>

/**
 * The PORT setting with a service's default, for its config schema.
 * @example t.Composite([BaseConfig, t.Object({ PORT: Port(3001) })])
 */
export const Port = (defaultPort: number) =>
  t.Integer({
    minimum: 0,
    maximum: 65535,
    default: defaultPort,
    description: 'a port number 0..65535 (0: any free port)',
  })

/** What the service runner needs: the base settings plus the service's PORT. */
export type ServiceConfig = Pick<BaseConfig, 'HOST' | 'SHUTDOWN_TIMEOUT_MS'> &
  Partial<BaseConfig> & { PORT: number }

/**
 * Settings of a service that accepts access tokens: where auth's JWKS is (a URL,
 * or the `auth` service found through Consul) and the claims tokens must carry.
 * Spread into a service's config schema.
 */
export const AccessTokenConfig = {
  AUTH_JWKS_URL: t.Optional(
    t.String({
      pattern: '^https?://',
      description: "the auth service's JWKS URL (unset: found through Consul)",
    }),
  ),
  AUTH_SERVICE_NAME: t.String({ default: 'auth', description: 'the auth service name in Consul' }),
  JWT_ISSUER: t.String({
    default: 'civildiy-auth',
    description: 'the iss claim access tokens must carry',
  }),
  JWT_AUDIENCE: t.String({
    default: 'civildiy',
    description: 'the aud claim access tokens must carry',
  }),
}

/**
 * Settings of a service with a Postgres database: where it is. Always given from
 * outside; in development `npm start` or `bun run dev` serves an embedded PGlite
 * and passes its URL. Spread into a service's config schema.
 */
export const PostgresConfig = {
  DATABASE_URL: t.String({
    pattern: '^postgres(ql)?://',
    description:
      'a postgres:// URL (in development `npm start`, or `bun run dev` in the service folder, serves an embedded PGlite)',
  }),
}
