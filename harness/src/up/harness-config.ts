/**
 * The environment `harness up` reads: ports (each optional: unset means the
 * standard port, or a free one when that is taken) and real servers to use instead
 * of the embedded ones.
 */
import { Type as t } from '@sinclair/typebox'

const OptionalPort = (description: string) =>
  t.Optional(t.Integer({ minimum: 0, maximum: 65535, description }))

export const HarnessConfig = t.Object({
  HOST: t.String({ default: '127.0.0.1', description: 'the interface services listen on' }),
  ADVERTISE_ADDRESS: t.String({
    default: '127.0.0.1',
    description: 'the address services register in Consul (reachable from the gateway)',
  }),
  GATEWAY_PORT: OptionalPort('the gateway port (default 8080)'),
  AUTH_PORT: OptionalPort('the auth service port (default 3001)'),
  PROFILE_PORT: OptionalPort('the profile service port (default 3002)'),
  POSTS_PORT: OptionalPort('the posts service port (default 3003)'),
  FEED_PORT: OptionalPort('the feed service port (default 3004)'),
  SEARCH_PORT: OptionalPort('the search service port (default 3006)'),
  NOTIFICATIONS_PORT: OptionalPort('the notifications service port (default 3007)'),
  FEED_READ_PORT: OptionalPort(
    'the feed read API port, with RUNTIME=deno and REDIS_URL (default 3005)',
  ),
  UPSTASH_PORT: OptionalPort(
    'the Upstash REST bridge port, with RUNTIME=deno and REDIS_URL (default 8079)',
  ),
  RUNTIME: t.Union([t.Literal('bun'), t.Literal('deno')], {
    default: 'bun',
    description:
      'what runs the gateway and the feed read API (`up --runtime deno` sets it); the other services always run on Bun',
  }),
  KAFKA_PORT: OptionalPort('the embedded Kafka port (default 9092)'),
  MONGO_PORT: OptionalPort('the embedded MongoDB port (default 27017)'),
  CONSUL_PORT: OptionalPort('the embedded Consul port (default 8500)'),
  DASHBOARD_PORT: OptionalPort(
    "the harness's own port, loopback only: the dashboard (/_dev) and the trace receiver (default 18888)",
  ),
  DATABASE_URL: t.Optional(
    t.String({ pattern: '^postgres(ql)?://', description: 'a real Postgres' }),
  ),
  MONGO_URL: t.Optional(
    t.String({ pattern: '^mongodb(\\+srv)?://', description: 'a real MongoDB' }),
  ),
  KAFKA_BROKERS: t.Optional(
    t.String({ minLength: 1, description: 'real Kafka brokers, host:port,...' }),
  ),
  MONGO_DB: t.String({
    default: 'posts',
    description: "the posts service's database (the services read it too)",
  }),
  REDIS_URL: t.Optional(
    t.String({ pattern: '^rediss?://', description: 'a real Redis for the feed' }),
  ),
  CONSUL_HTTP_ADDR: t.Optional(t.String({ minLength: 1, description: 'a real Consul agent' })),
  LOG_LEVEL: t.Union(
    ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => t.Literal(l)),
    {
      default: 'warn',
      description:
        'what the terminal shows of the services’ logs (debug shows every request); the dashboard keeps debug and above',
    },
  ),
  DATA_DIR: t.String({
    default: '.data',
    description: 'where embedded servers and development keys keep their data',
  }),
  STARTUP_TIMEOUT_MS: t.Integer({
    minimum: 1_000,
    default: 60_000,
    description: 'ms a service may take to pass in Consul',
  }),
})
