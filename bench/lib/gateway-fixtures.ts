/**
 * Processes the gateway benchmarks start: an Elysia hello upstream and the gateway
 * itself, each spawned on a free loopback port and waited for.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '@civildiy/devstack'
import { type consulClient, denoRunCommand } from '@civildiy/kit'
import type { Subprocess } from 'bun'
import { spawnServing } from './spawn-serving.ts'

/**
 * An Elysia app answering `GET /hello` with `bodyBytes` bytes, its script written to
 * `dir`, registered in Consul as the service `hello` (no health check: always passing).
 * @example const hello = await spawnHelloUpstream(workDir, consul) // hello.port
 */
export async function spawnHelloUpstream(
  dir: string,
  consul: ReturnType<typeof consulClient>,
  bodyBytes = 5,
): Promise<{ port: number; proc: Subprocess }> {
  const port = await freePort()
  const script = join(dir, 'hello.ts')
  writeFileSync(
    script,
    `import { Elysia } from 'elysia'\nconst body = 'x'.repeat(${bodyBytes})\nnew Elysia().get('/hello', () => body).listen({ hostname: '127.0.0.1', port: Number(process.env.PORT) })\n`,
  )
  const proc = await spawnServing([process.execPath, script], {
    env: { PORT: String(port) },
    probe: `http://127.0.0.1:${port}/hello`,
  })
  await consul.agent.service.register({
    id: 'hello-1',
    name: 'hello',
    address: '127.0.0.1',
    port,
  } as { name: string })
  return { port, proc }
}

export interface GatewayProcessOptions {
  /** A checkout of this repository (its `gateway/src/main.ts` runs). */
  checkout: string
  consulUrl: string
  routesFile: string
  jwksUrl: string
  /** What runs it (default Bun); Deno with the kit's permissions (see denoRunCommand). */
  runtime?: 'bun' | 'deno'
}

/**
 * The gateway in production mode with warn-level logs, registered in Consul, on
 * Bun or (`runtime: 'deno'`) on Deno.
 * @example const gw = await spawnGateway({ checkout: root, consulUrl, routesFile, jwksUrl }) // gw.url
 */
export async function spawnGateway(
  o: GatewayProcessOptions,
): Promise<{ url: string; proc: Subprocess }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const entry = join(o.checkout, 'gateway/src/main.ts')
  const cmd =
    o.runtime === 'deno'
      ? denoRunCommand(o.checkout, entry, [o.routesFile])
      : [process.execPath, entry]
  const proc = await spawnServing(cmd, {
    env: {
      PORT: String(port),
      CONSUL_HTTP_ADDR: o.consulUrl,
      ADVERTISE_ADDRESS: '127.0.0.1',
      GATEWAY_ROUTES_FILE: o.routesFile,
      AUTH_JWKS_URL: o.jwksUrl,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    probe: `${url}/health/live`,
  })
  return { url, proc }
}
