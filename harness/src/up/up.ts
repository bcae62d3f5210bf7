/**
 * `harness up`: the whole stack on one machine, supervised. Each embedded server
 * it needs (Kafka, MongoDB, Consul; real ones named in the environment are used
 * instead) and each deployable (auth, profile, posts, feed, gateway) is a child
 * process of its own. Once everything is passing in Consul it prints where
 * everything is, writes `.data/stack.json`, opens the control socket
 * (`.data/harness.sock`: `harness status|stop|start|restart|kill NAME`), and
 * from then on restarts any child that exits with capped exponential backoff
 * (see supervisor.ts). Ctrl-C stops the services (they deregister), then the servers.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, prepareTemplates, templatesReady } from '@civildiy/devstack'
import { ConfigError, loadConfig } from '@civildiy/kit'
import type { Static } from '@sinclair/typebox'
import { startHarnessServer } from '../dashboard/harness-server.ts'
import { createLogBuffer, levelRank } from '../dashboard/log-buffer.ts'
import { mountDashboard } from '../dashboard/start-dashboard.ts'
import { markdownTable } from '../report/stats.ts'
import { removeStackFile, type StackInfo, writeStackFile } from '../stack-file.ts'
import { createTraceStore } from '../traces/otlp-receiver.ts'
import { serveControl } from './control.ts'
import { HarnessConfig } from './harness-config.ts'
import {
  type Deployable,
  deployables,
  embeddedServers,
  feedReadApi,
  serverSpec,
  serviceSpec,
  UPSTASH_BRIDGE_TOKEN,
  upstashSpec,
} from './stack-plan.ts'
import { storeLocations } from './store-locations.ts'
import { createSupervisor, StartFailed, type Supervisor } from './supervisor.ts'

const root = resolve(import.meta.dir, '..', '..', '..')
type Config = Static<typeof HarnessConfig>

async function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer()
    srv.once('error', () => ok(false))
    srv.listen(port, host, () => srv.close(() => ok(true)))
  })
}

/** The given port; else the standard one when free; else any free port (with a note). */
async function choosePort(given: number | undefined, standard: number, host: string, name: string) {
  if (given !== undefined) return given
  if (await portIsFree(standard, host)) return standard
  const port = await freePort()
  console.log(`${name.padEnd(8)}| port ${standard} is taken; using ${port}`)
  return port
}

/** A free port that is none of the ports the environment gives (those are not bound yet). */
async function freePortNotGiven(config: Config): Promise<number> {
  const given = new Set(
    Object.entries(config).flatMap(([k, v]) => (k.endsWith('_PORT') ? [v] : [])),
  )
  for (;;) {
    const port = await freePort()
    if (!given.has(port)) return port
  }
}

/** Adds the embedded servers the environment does not replace; returns the addresses services use. */
async function planServers(
  sup: Supervisor,
  config: Config,
  env: Record<string, string | undefined>,
): Promise<Servers> {
  const dataDir = join(resolve(root, config.DATA_DIR), 'devstack')
  const urls: Record<string, string> = {}
  const given = {
    kafka: config.KAFKA_BROKERS,
    mongo: config.MONGO_URL,
    consul: config.CONSUL_HTTP_ADDR,
  }
  for (const s of embeddedServers) {
    if (given[s.name]) continue
    const port = await choosePort(config[s.portVar], s.port, config.HOST, s.name)
    const spec = serverSpec(root, s.name, config.HOST, port, dataDir, env)
    sup.add(spec)
    urls[s.name] = spec.url
  }
  // One PGlite per Postgres service (a PGlite server is a single session), its data
  // where the services kept it before: <DATA_DIR>/<service>/pg.
  const postgres: Record<string, string> = {}
  if (!config.DATABASE_URL && !templatesReady()) {
    // Once per PGlite version (npm install usually did it): the pg servers copy it.
    console.log('harness | preparing the embedded PostgreSQL template (once, about 5 s)')
    await prepareTemplates()
  }
  for (const service of ['auth', 'profile', 'search', 'notifications']) {
    if (config.DATABASE_URL) {
      postgres[service] = config.DATABASE_URL
      continue
    }
    const dir = join(resolve(root, config.DATA_DIR), service)
    const port = await freePortNotGiven(config)
    const spec = serverSpec(root, 'pg', config.HOST, port, dir, env, `pg-${service}`)
    sup.add(spec)
    postgres[service] = spec.url
  }
  // The feed read API on Deno reads the model the feed service keeps in Redis,
  // through the Upstash REST bridge (Bun's Redis client is Bun's own).
  if (config.RUNTIME === 'deno' && config.REDIS_URL) {
    const port = await choosePort(config.UPSTASH_PORT, 8079, config.HOST, 'upstash')
    const spec = upstashSpec(root, config.HOST, port, dataDir, config.REDIS_URL, env)
    sup.add(spec)
    urls.upstash = spec.url
  }
  const consul = config.CONSUL_HTTP_ADDR ?? urls.consul!
  return {
    upstash: urls.upstash,
    consul: consul.includes('://') ? consul : `http://${consul}`,
    kafka: config.KAFKA_BROKERS ?? urls.kafka!,
    mongo: config.MONGO_URL ?? urls.mongo!,
    postgres,
  }
}

/** Where the services find their servers. */
interface Servers {
  consul: string
  kafka: string
  mongo: string
  /** DATABASE_URL by service. */
  postgres: Record<string, string>
  /** The embedded OTLP receiver, when the environment names no collector. */
  traces?: string
  /** The Upstash REST bridge in front of REDIS_URL, for the feed read API on Deno. */
  upstash?: string
  /** Auth's AUTH_ADMIN_BOOTSTRAP_TOKEN: the environment's, else a new one each start. */
  adminBootstrapToken?: string
}

/** Adds the five deployables with the environment that points them at the servers. */
async function planServices(
  sup: Supervisor,
  config: Config,
  env: Record<string, string | undefined>,
  servers: Servers,
) {
  const dataDir = resolve(root, config.DATA_DIR)
  const common = {
    ...env,
    HOST: config.HOST,
    ADVERTISE_ADDRESS: config.ADVERTISE_ADDRESS,
    CONSUL_HTTP_ADDR: servers.consul,
    KAFKA_BROKERS: servers.kafka,
    // At least debug (every request's line, with its trace id) for the dashboard's
    // Logs page; the terminal shows LOG_LEVEL and above.
    LOG_LEVEL: levelRank(config.LOG_LEVEL) < levelRank('debug') ? config.LOG_LEVEL : 'debug',
    ...(servers.traces
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: servers.traces,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          // Development: every trace, to look at (the default samples 10%).
          OTEL_TRACES_SAMPLER_ARG: env.OTEL_TRACES_SAMPLER_ARG ?? '1',
        }
      : {}),
  }
  const perService: Record<string, Record<string, string | undefined>> = {
    auth: {
      DATABASE_URL: servers.postgres.auth,
      AUTH_ADMIN_BOOTSTRAP_TOKEN: servers.adminBootstrapToken,
    },
    profile: { DATABASE_URL: servers.postgres.profile },
    posts: { MONGO_URL: servers.mongo },
    feed: { REDIS_URL: config.REDIS_URL },
    search: { DATABASE_URL: servers.postgres.search },
    notifications: { DATABASE_URL: servers.postgres.notifications },
    'feed-read': {
      REDIS_URL: '',
      UPSTASH_REDIS_REST_URL: servers.upstash,
      UPSTASH_REDIS_REST_TOKEN: UPSTASH_BRIDGE_TOKEN,
    },
    gateway: {
      // Generous development limits so `harness replay` can sign up hundreds of users
      // from one address; the defaults (20/min, 120/min) apply elsewhere.
      RATE_LIMIT_CREDENTIALS_PER_MIN: env.RATE_LIMIT_CREDENTIALS_PER_MIN ?? '100000',
      RATE_LIMIT_WRITES_PER_MIN: env.RATE_LIMIT_WRITES_PER_MIN ?? '100000',
      RATE_LIMIT_SEARCH_PER_MIN: env.RATE_LIMIT_SEARCH_PER_MIN ?? '100000',
    },
  }
  for (const d of stackDeployables(config, servers)) {
    const port = await choosePort(config[d.portVar], d.port, config.HOST, d.name)
    sup.add(
      serviceSpec(
        root,
        d,
        config.HOST,
        port,
        { ...common, ...perService[d.name], DATA_DIR: join(dataDir, d.name) },
        config.RUNTIME,
      ),
    )
  }
}

/** The deployables this stack runs: the five, and the feed read API on Deno when it can read the model. */
function stackDeployables(config: Config, servers: Servers): readonly Deployable[] {
  if (config.RUNTIME !== 'deno') return deployables
  if (servers.upstash) return [...deployables, feedReadApi]
  console.log(
    'harness | the feed read API on Deno needs the read model in Redis (set REDIS_URL); the gateway alone runs on Deno',
  )
  return deployables
}

/** The name a supervised service registers in Consul (its `registersAs`: the feed read API is another `feed`). */
function consulName(name: string): string {
  return [...deployables, feedReadApi].find((d) => d.name === name)?.registersAs ?? name
}

/** Ms until each service passes in Consul (on the port it was given). */
async function passingTimes(sup: Supervisor, consul: string, deadline: number) {
  const times: Record<string, number> = {}
  const t0 = performance.now()
  await Promise.all(
    sup
      .status()
      .filter((s) => s.kind === 'service')
      .map(async (s) => {
        const port = Number(new URL(s.url).port)
        for (;;) {
          const res = await fetch(
            `${consul}/v1/health/service/${consulName(s.name)}?passing`,
          ).catch(() => null)
          const entries = ((await res?.json().catch(() => [])) ?? []) as {
            Service: { Port: number }
          }[]
          if (entries.some((e) => e.Service.Port === port)) break
          if (Date.now() > deadline) throw new Error(`${s.name} is not passing in Consul in time`)
          await Bun.sleep(25)
        }
        times[s.name] = Math.round(performance.now() - t0 + (s.readyMs ?? 0))
      }),
  )
  return times
}

const UP_USAGE = `Usage: harness up [--runtime bun|deno]

  --runtime deno   run the gateway on Deno (and, when REDIS_URL is set, a feed read
                   API on Deno reading the model through the Upstash REST bridge);
                   the same as RUNTIME=deno. The other services run on Bun.

Every other setting is an environment variable: ports (GATEWAY_PORT, ...), real
servers (DATABASE_URL, MONGO_URL, KAFKA_BROKERS, REDIS_URL, CONSUL_HTTP_ADDR),
LOG_LEVEL, DATA_DIR, STARTUP_TIMEOUT_MS.`

/**
 * The environment `up` runs with, from its command-line options; or the exit
 * code when there is nothing to run (0 for --help, 2 for a usage error).
 * @example upArguments(['--runtime', 'deno']) // { ...process.env, RUNTIME: 'deno' }
 */
export function upArguments(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> | number {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { runtime: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) {
      console.log(UP_USAGE)
      return 0
    }
    if (values.runtime === undefined) return env
    if (values.runtime !== 'bun' && values.runtime !== 'deno')
      throw new Error(`--runtime is bun or deno, not ${values.runtime}`)
    return { ...env, RUNTIME: values.runtime }
  } catch (err) {
    console.error(`harness up: ${(err as Error).message}\n\n${UP_USAGE}`)
    return 2
  }
}

/**
 * Runs until SIGINT/SIGTERM; resolves with the exit code.
 * @example process.exit(await up())
 */
export async function up(env: Record<string, string | undefined> = process.env): Promise<number> {
  let config: Config
  try {
    config = loadConfig(HarnessConfig, env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(err.message)
    return 78
  }
  const t0 = performance.now()
  const { sup, logs, silence } = supervisorWithLogs(config.LOG_LEVEL)
  const servers = await planServers(sup, config, env)
  // The harness's own port: the dashboard, and the trace receiver unless the
  // environment names a collector.
  const traces = createTraceStore()
  const harness = startHarnessServer({
    host: '127.0.0.1',
    port: await choosePort(config.DASHBOARD_PORT, 18888, '127.0.0.1', 'harness'),
    traces,
  })
  servers.traces = env.OTEL_EXPORTER_OTLP_ENDPOINT ? undefined : harness.url
  servers.adminBootstrapToken =
    env.AUTH_ADMIN_BOOTSTRAP_TOKEN ?? randomBytes(24).toString('base64url')
  await planServices(sup, config, env, servers)
  const names = sup.status()
  const serverNames = names.filter((s) => s.kind === 'server').map((s) => s.name)
  const serviceNames = names.filter((s) => s.kind === 'service').map((s) => s.name)
  const stopAll = () => sup.stopAll([...serviceNames.toReversed(), ...serverNames.toReversed()])
  const deadline = Date.now() + config.STARTUP_TIMEOUT_MS
  let passing: Record<string, number>
  const stopReporting = reportWaiting(sup, t0)
  try {
    // Servers first, all together: the start is CPU-bound, and PostgreSQL is its
    // longest step; services started beside it were measured to make it slower.
    await Promise.all(serverNames.map((n) => sup.start(n, deadline - Date.now())))
    await Promise.all(serviceNames.map((n) => sup.start(n, deadline - Date.now())))
    passing = await passingTimes(sup, servers.consul, deadline)
  } catch (err) {
    stopReporting()
    silence()
    console.error(`\nharness: ${(err as Error).message}.`)
    if (err instanceof StartFailed) {
      console.error('Its last output:')
      for (const line of err.tail) console.error(`  ${line}`)
    }
    await stopAll()
    await harness.stop()
    return 1
  }
  stopReporting()
  const socket = join(resolve(root, config.DATA_DIR), 'harness.sock')
  const stackFile = join(resolve(root, config.DATA_DIR), 'stack.json')
  const closeControl = serveControl(sup, socket)
  sup.supervise()
  const dashboard = mountDashboard({
    server: harness,
    supervisor: sup,
    logs,
    traces,
    consul: servers.consul,
    gateway: sup.status().find((s) => s.name === 'gateway')!.url,
    kafka: servers.kafka,
    // By Consul name: the feed read API is an instance of `feed` (and named feed-read).
    services: [...new Set(serviceNames.map(consulName))],
    dataDir: resolve(root, config.DATA_DIR),
    stackFile,
  })
  await announce(sup, servers, passing, { socket, stackFile, dashboard: dashboard.url }, t0, config)
  return untilSignal(async () => {
    await dashboard.stop()
    await stopAll()
    closeControl()
    await harness.stop()
    removeStackFile(stackFile)
  })
}

/**
 * Every 2 s until stopped, one line naming what the start is still waiting for
 * (a first start spends most of its time initializing the PGlite data directories).
 * @returns the function that stops it.
 */
function reportWaiting(sup: Supervisor, t0: number): () => void {
  const timer = setInterval(() => {
    const waiting = sup
      .status()
      .filter((s) => s.state !== 'running')
      .map((s) => s.name)
    const seconds = ((performance.now() - t0) / 1000).toFixed(0)
    console.log(
      `harness | ${seconds} s: ${waiting.length ? `waiting for ${waiting.join(', ')}` : 'waiting for every service to pass in Consul'}`,
    )
  }, 2_000)
  return () => clearInterval(timer)
}

/**
 * The supervisor with every child's output kept for the dashboard's Logs page
 * (`logs`) and printed at `terminalLevel` and above; `silence()` stops printing.
 */
function supervisorWithLogs(terminalLevel: string) {
  let quiet = false
  const logs = createLogBuffer()
  const terminalRank = levelRank(terminalLevel)
  const sup = createSupervisor(
    (line) => {
      if (!quiet) console.log(line)
      // The supervisor's own lines (exits, restarts) belong on the Logs page too.
      if (line.startsWith('harness | ')) logs.add('harness', line.slice('harness | '.length))
    },
    undefined,
    (name, raw) => levelRank(logs.add(name, raw).level) >= terminalRank,
  )
  return {
    sup,
    logs,
    silence: () => {
      quiet = true
    },
  }
}

/** Resolves 0 after the first SIGINT or SIGTERM has run `stop` (later signals are ignored). */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise<number>((done) => {
    let stopping = false
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, async () => {
        if (stopping) return
        stopping = true
        console.log(`\nharness: ${signal}; stopping the stack`)
        await stop()
        done(0)
      })
    }
  })
}

/** Prints the table of processes and writes `.data/stack.json`. */
async function announce(
  sup: Supervisor,
  servers: Servers,
  passing: Record<string, number>,
  files: { socket: string; stackFile: string; dashboard: string },
  t0: number,
  config: Config,
) {
  const status = sup.status()
  console.log(
    `\n${markdownTable(
      ['service', 'pid', 'url', 'ms to ready', 'ms to passing in Consul'],
      status.map((s) => [
        s.kind === 'server' ? `${s.name} (embedded)` : s.name,
        String(s.pid),
        s.url,
        String(s.readyMs ?? '-'),
        s.kind === 'service' ? String(passing[s.name]) : '-',
      ]),
    )}\n`,
  )
  const services = status.filter((s) => s.kind === 'service')
  const gateway = services.find((s) => s.name === 'gateway')!
  const info: StackInfo = {
    startedAt: new Date().toISOString(),
    pid: process.pid,
    gateway: gateway.url,
    consul: servers.consul,
    control: files.socket,
    dashboard: files.dashboard,
    ...(servers.traces ? { traces: servers.traces } : {}),
    services: Object.fromEntries(services.map((s) => [s.name, s.url])),
    ...(servers.adminBootstrapToken ? { adminBootstrapToken: servers.adminBootstrapToken } : {}),
    servers: {
      consul: servers.consul,
      kafka: servers.kafka,
      mongo: servers.mongo,
      postgres:
        config.DATABASE_URL ??
        'embedded PGlite per service (pg-auth, pg-profile, pg-search, pg-notifications)',
      redis: config.REDIS_URL ?? 'in-process read model in the feed service',
    },
    stores: storeLocations({
      dataDir: resolve(root, config.DATA_DIR),
      // The stores of record (notifications hold their users' read state); search's
      // index, like the feed's model, is rebuilt from the topics.
      postgres: {
        auth: servers.postgres.auth!,
        profile: servers.postgres.profile!,
        notifications: servers.postgres.notifications!,
      },
      mongo: servers.mongo,
      mongoDb: config.MONGO_DB,
      redis: config.REDIS_URL,
      given: { postgres: Boolean(config.DATABASE_URL), mongo: Boolean(config.MONGO_URL) },
    }),
  }
  await writeStackFile(info, files.stackFile)
  console.log(
    `stack up in ${(performance.now() - t0).toFixed(0)} ms; details in ${relative(process.cwd(), files.stackFile) || files.stackFile}`,
  )
  console.log(
    'each process is restarted when it exits; `npm run harness -- status|stop|start|restart|kill NAME` acts on one',
  )
  console.log(`OpenAPI: ${services.map((s) => `${s.url}/openapi`).join('  ')}`)
  console.log(
    `metrics: <service url>/metrics; traces: ${servers.traces ? `${servers.traces}/api/traces (embedded OTLP receiver)` : 'to OTEL_EXPORTER_OTLP_ENDPOINT'}`,
  )
  if (!config.REDIS_URL)
    console.log(
      'feed read model: in the feed process, rebuilt from the events on every start (set REDIS_URL to keep it in Redis)',
    )
  if (config.RUNTIME === 'deno') {
    const onDeno = services.filter((s) => s.name === 'gateway' || s.name === feedReadApi.name)
    console.log(`on Deno: ${onDeno.map((s) => `${s.name} (${s.url})`).join(', ')}`)
  }
  console.log(`gateway ready at ${gateway.url}`)
  console.log(`dashboard at ${files.dashboard} (topology, traces, events, logs, checks)`)
}
