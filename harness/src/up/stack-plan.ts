/**
 * What `harness up` runs, as process specs for the supervisor: each embedded
 * server (Kafka, MongoDB, Consul from `devstack/`) in a process of its own on a
 * fixed port, so it can be stopped and restarted alone and comes back where its
 * clients expect it, and each deployable with the environment that points it at
 * them. Pure: no process is started here.
 */
import { connect } from 'node:net'
import { join } from 'node:path'
import { denoRunCommand } from '@civildiy/kit'
import type { ProcessSpec } from './supervisor.ts'

/** A process `harness up` runs from this repository's source. */
export interface Deployable {
  /** Its name in the supervisor (`harness status`, `kill NAME`). */
  name: string
  port: number
  /** The HarnessConfig variable that sets its port. */
  portVar:
    | 'AUTH_PORT'
    | 'PROFILE_PORT'
    | 'POSTS_PORT'
    | 'FEED_PORT'
    | 'FEED_READ_PORT'
    | 'SEARCH_PORT'
    | 'NOTIFICATIONS_PORT'
    | 'GATEWAY_PORT'
  /** Its entry point, from the repository root. */
  main: string
  /** The service name it registers in Consul, when not `name`. */
  registersAs?: string
  /** Whether `--runtime deno` runs it on Deno (the rest always run on Bun). */
  runsOnDeno?: boolean
}

/** The deployables in start order, with their standard ports. */
export const deployables: readonly Deployable[] = [
  { name: 'auth', port: 3001, portVar: 'AUTH_PORT', main: 'services/auth/src/main.ts' },
  { name: 'profile', port: 3002, portVar: 'PROFILE_PORT', main: 'services/profile/src/main.ts' },
  { name: 'posts', port: 3003, portVar: 'POSTS_PORT', main: 'services/posts/src/main.ts' },
  { name: 'feed', port: 3004, portVar: 'FEED_PORT', main: 'services/feed/src/main.ts' },
  { name: 'search', port: 3006, portVar: 'SEARCH_PORT', main: 'services/search/src/main.ts' },
  {
    name: 'notifications',
    port: 3007,
    portVar: 'NOTIFICATIONS_PORT',
    main: 'services/notifications/src/main.ts',
  },
  {
    name: 'gateway',
    port: 8080,
    portVar: 'GATEWAY_PORT',
    main: 'gateway/src/main.ts',
    runsOnDeno: true,
  },
]

/**
 * The feed's read API, which `--runtime deno` adds on Deno when the read model is
 * in Redis (it reads it through the Upstash REST bridge): another `feed` in Consul.
 */
export const feedReadApi: Deployable = {
  name: 'feed-read',
  port: 3005,
  portVar: 'FEED_READ_PORT',
  main: 'services/feed/src/read-api/main.ts',
  registersAs: 'feed',
  runsOnDeno: true,
}

/** What runs the deployables marked `runsOnDeno`; the others always run on Bun. */
export type StackRuntime = 'bun' | 'deno'

/**
 * The command that runs `d` under `runtime`.
 * @example runCommand('/repo', deployables[4]!, 'deno') // ['/repo/node_modules/.bin/deno', 'run', ...]
 */
export function runCommand(
  root: string,
  d: Deployable,
  runtime: StackRuntime,
  env: Record<string, string | undefined> = {},
): string[] {
  const entry = join(root, d.main)
  if (runtime !== 'deno' || !d.runsOnDeno) return [process.execPath, entry]
  // A routes file or certificates outside the repository need their own read permission.
  const outside = [
    env.GATEWAY_ROUTES_FILE,
    env.TLS_CA_FILE,
    env.TLS_CERT_FILE,
    env.TLS_KEY_FILE,
    env.TLS_CLIENT_CERT_FILE,
    env.TLS_CLIENT_KEY_FILE,
  ].filter((f): f is string => Boolean(f))
  return denoRunCommand(root, entry, outside)
}

/** The embedded servers `harness up` can run, with their standard ports. */
export const embeddedServers = [
  { name: 'kafka', port: 9092, portVar: 'KAFKA_PORT' },
  { name: 'mongo', port: 27017, portVar: 'MONGO_PORT' },
  { name: 'consul', port: 8500, portVar: 'CONSUL_PORT' },
] as const

/**
 * A devstack component: the servers above, `pg` (one PGlite per Postgres service),
 * or `upstash` (the Upstash REST bridge in front of a Redis, for the feed read API).
 */
export type ServerKind = (typeof embeddedServers)[number]['name'] | 'pg' | 'upstash'

/** Resolves true when a TCP connection to host:port opens. */
export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * The spec of one embedded server run through the devstack CLI; `name` defaults
 * to the component (`pg-auth` is the auth service's PGlite).
 * @example serverSpec(root, 'kafka', '127.0.0.1', 9092, '.data/devstack', process.env)
 */
export function serverSpec(
  root: string,
  kind: ServerKind,
  host: string,
  port: number,
  dataDir: string,
  env: Record<string, string | undefined>,
  name: string = kind,
): ProcessSpec {
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host
  const url = {
    kafka: `${reach}:${port}`,
    mongo: `mongodb://${reach}:${port}`,
    consul: `http://${reach}:${port}`,
    pg: `postgres://postgres@${reach}:${port}/postgres`,
    upstash: `http://${reach}:${port}`,
  }[kind]
  return {
    name,
    kind: 'server',
    cmd: [
      process.execPath,
      join(root, 'devstack', 'src', 'cli.ts'),
      '--only',
      kind,
      '--host',
      host,
      `--${kind}-port`,
      String(port),
      '--data-dir',
      dataDir,
      '--quiet',
    ],
    env,
    url,
    ready:
      kind === 'consul'
        ? async () => (await fetch(`${url}/v1/status/leader`)).ok
        : () => tcpOpen(reach, port),
  }
}

/**
 * The spec of one deployable: `env` already holds what every service shares.
 * @example serviceSpec(root, deployables[0]!, '127.0.0.1', 3001, { ...common, DATABASE_URL })
 */
export function serviceSpec(
  root: string,
  d: Deployable,
  host: string,
  port: number,
  env: Record<string, string | undefined>,
  runtime: StackRuntime = 'bun',
): ProcessSpec {
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  return {
    name: d.name,
    kind: 'service',
    cmd: runCommand(root, d, runtime, env),
    env: { ...env, PORT: String(port) },
    url,
    ready: async () => (await fetch(`${url}/health/ready`)).ok,
    withPort: (other) => serviceSpec(root, d, host, other, env, runtime),
  }
}

/** The bearer token of the Upstash REST bridge `harness up` runs (the devstack's default). */
export const UPSTASH_BRIDGE_TOKEN = 'devstack'

/**
 * The Upstash REST bridge in front of `redisUrl`, through the devstack CLI.
 * @example upstashSpec(root, '127.0.0.1', 8079, '.data/devstack', 'redis://127.0.0.1:6379', process.env)
 */
export function upstashSpec(
  root: string,
  host: string,
  port: number,
  dataDir: string,
  redisUrl: string,
  env: Record<string, string | undefined>,
): ProcessSpec {
  const spec = serverSpec(root, 'upstash', host, port, dataDir, env)
  spec.cmd.push('--upstash-redis', redisUrl, '--upstash-token', UPSTASH_BRIDGE_TOKEN)
  return spec
}
