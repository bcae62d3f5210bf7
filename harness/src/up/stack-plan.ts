/**
 * What `harness up` runs, as process specs for the supervisor: each embedded
 * server (Kafka, MongoDB, Consul from `devstack/`) in a process of its own on a
 * fixed port, so it can be stopped and restarted alone and comes back where its
 * clients expect it, and each deployable with the environment that points it at
 * them. Pure: no process is started here.
 */
import { connect } from 'node:net'
import { join } from 'node:path'
import type { ProcessSpec } from './supervisor.ts'

/** The deployables in start order, with their standard ports. */
export const deployables = [
  { name: 'auth', port: 3001, portVar: 'AUTH_PORT', main: 'services/auth/src/main.ts' },
  { name: 'profile', port: 3002, portVar: 'PROFILE_PORT', main: 'services/profile/src/main.ts' },
  { name: 'posts', port: 3003, portVar: 'POSTS_PORT', main: 'services/posts/src/main.ts' },
  { name: 'feed', port: 3004, portVar: 'FEED_PORT', main: 'services/feed/src/main.ts' },
  { name: 'gateway', port: 8080, portVar: 'GATEWAY_PORT', main: 'gateway/src/main.ts' },
] as const

/** The embedded servers `harness up` can run, with their standard ports. */
export const embeddedServers = [
  { name: 'kafka', port: 9092, portVar: 'KAFKA_PORT' },
  { name: 'mongo', port: 27017, portVar: 'MONGO_PORT' },
  { name: 'consul', port: 8500, portVar: 'CONSUL_PORT' },
] as const

/** A devstack component: the servers above, or `pg` (one PGlite per Postgres service). */
export type ServerKind = (typeof embeddedServers)[number]['name'] | 'pg'

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
 * @example serviceSpec(root, deployables[0], '127.0.0.1', 3001, { ...common, DATABASE_URL })
 */
export function serviceSpec(
  root: string,
  d: (typeof deployables)[number],
  host: string,
  port: number,
  env: Record<string, string | undefined>,
): ProcessSpec {
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
  return {
    name: d.name,
    kind: 'service',
    cmd: [process.execPath, join(root, d.main)],
    env: { ...env, PORT: String(port) },
    url,
    ready: async () => (await fetch(`${url}/health/ready`)).ok,
    withPort: (other) => serviceSpec(root, d, host, other, env),
  }
}
