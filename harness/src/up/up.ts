/**
 * `harness up`: the whole stack on one machine. Starts the embedded servers it
 * needs (or uses the real ones named in the environment), then auth, profile,
 * posts, feed and the gateway as separate processes, waits until each is passing
 * in Consul, prints where everything is, writes `.data/stack.json`, and on Ctrl-C
 * stops the services (they deregister) and then the servers.
 */
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { type ComponentName, type Devstack, freePort, startDevstack } from '@civildiy/devstack'
import { ConfigError, loadConfig } from '@civildiy/kit'
import type { Static } from '@sinclair/typebox'
import { markdownTable } from '../report/stats.ts'
import { removeStackFile, type StackInfo, writeStackFile } from '../stack-file.ts'
import { type ChildProcess, startChild } from './child-process.ts'
import { HarnessConfig } from './harness-config.ts'

const root = resolve(import.meta.dir, '..', '..', '..')

/** The deployables in start order, with their standard ports. */
export const deployables = [
  { name: 'auth', port: 3001, portVar: 'AUTH_PORT', main: 'services/auth/src/main.ts' },
  { name: 'profile', port: 3002, portVar: 'PROFILE_PORT', main: 'services/profile/src/main.ts' },
  { name: 'posts', port: 3003, portVar: 'POSTS_PORT', main: 'services/posts/src/main.ts' },
  { name: 'feed', port: 3004, portVar: 'FEED_PORT', main: 'services/feed/src/main.ts' },
  { name: 'gateway', port: 8080, portVar: 'GATEWAY_PORT', main: 'gateway/src/main.ts' },
] as const

async function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((ok) => {
    const srv = createServer()
    srv.once('error', () => ok(false))
    srv.listen(port, host, () => srv.close(() => ok(true)))
  })
}

/** The given port; else the standard one when free; else any free port (with a note). */
async function choosePort(
  given: number | undefined,
  standard: number,
  host: string,
): Promise<{ port: number; note?: string }> {
  if (given !== undefined) return { port: given }
  if (await portIsFree(standard, host)) return { port: standard }
  const port = await freePort()
  return { port, note: `port ${standard} is taken; using ${port}` }
}

interface Started {
  name: string
  child: ChildProcess
  url: string
  readyMs: number
  passingMs: number
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess,
  deadline: number,
): Promise<void> {
  for (;;) {
    if (child.proc.exitCode !== null || child.proc.signalCode)
      throw new StartError(
        child,
        `exited (${child.proc.exitCode ?? child.proc.signalCode}) before ${what}`,
      )
    if (await probe().catch(() => false)) return
    if (Date.now() > deadline) throw new StartError(child, `did not reach "${what}" in time`)
    await Bun.sleep(25)
  }
}

class StartError extends Error {
  constructor(
    readonly child: ChildProcess,
    reason: string,
  ) {
    super(`${child.name} ${reason}`)
  }
}

/**
 * Runs until SIGINT/SIGTERM; resolves with the exit code.
 * @example process.exit(await up())
 */
export async function up(env: Record<string, string | undefined> = process.env): Promise<number> {
  let config: Static<typeof HarnessConfig>
  try {
    config = loadConfig(HarnessConfig, env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(err.message)
    return 78
  }
  const host = config.HOST
  const dataDir = resolve(root, config.DATA_DIR)
  const t0 = performance.now()
  const embedded: ComponentName[] = []
  if (!config.KAFKA_BROKERS) embedded.push('kafka')
  if (!config.MONGO_URL) embedded.push('mongo')
  if (!config.CONSUL_HTTP_ADDR) embedded.push('consul')
  let devstack: Devstack | undefined
  if (embedded.length) {
    devstack = await startDevstack({
      only: embedded,
      host,
      dataDir: join(dataDir, 'devstack'),
      kafka: { port: config.KAFKA_PORT, log: () => {} },
      mongo: { port: config.MONGO_PORT },
      consul: { port: config.CONSUL_PORT },
    })
    for (const c of devstack.components) {
      console.log(
        `devstack| ${c.name.padEnd(7)} ${c.url.padEnd(34)} ready in ${c.readyMs.toFixed(0)} ms${c.note ? ` (${c.note})` : ''}`,
      )
    }
  }
  const consul = config.CONSUL_HTTP_ADDR ?? devstack!.url('consul')!
  const consulUrl = consul.includes('://') ? consul : `http://${consul}`
  const kafka = config.KAFKA_BROKERS ?? devstack!.url('kafka')!.replace('kafka://', '')
  const mongo = config.MONGO_URL ?? devstack!.url('mongo')!
  const common: Record<string, string | undefined> = {
    ...env,
    HOST: host,
    ADVERTISE_ADDRESS: config.ADVERTISE_ADDRESS,
    CONSUL_HTTP_ADDR: consul,
    KAFKA_BROKERS: kafka,
    LOG_LEVEL: config.LOG_LEVEL,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  }
  const perService: Record<string, Record<string, string | undefined>> = {
    auth: config.DATABASE_URL
      ? { DATABASE_URL: config.DATABASE_URL }
      : { PGLITE_DATA_DIR: join(dataDir, 'auth', 'pg') },
    profile: config.DATABASE_URL
      ? { DATABASE_URL: config.DATABASE_URL }
      : { PGLITE_DATA_DIR: join(dataDir, 'profile', 'pg') },
    posts: { MONGO_URL: mongo },
    feed: { REDIS_URL: config.REDIS_URL },
    gateway: {
      // Generous development limits so `harness replay` can sign up hundreds of users
      // from one address; the defaults (20/min, 120/min) apply elsewhere.
      RATE_LIMIT_CREDENTIALS_PER_MIN: env.RATE_LIMIT_CREDENTIALS_PER_MIN ?? '100000',
      RATE_LIMIT_WRITES_PER_MIN: env.RATE_LIMIT_WRITES_PER_MIN ?? '100000',
    },
  }
  const children: ChildProcess[] = []
  let stopping = false
  const stopAll = async () => {
    for (const c of children.toReversed()) await c.stop()
    await devstack?.stop()
    removeStackFile()
  }
  const print = (line: string) => {
    if (!stopping) console.log(line)
  }
  const deadline = Date.now() + config.STARTUP_TIMEOUT_MS
  let started: Started[]
  try {
    started = await Promise.all(
      deployables.map(async (d) => {
        const { port, note } = await choosePort(
          config[d.portVar as keyof typeof config] as number | undefined,
          d.port,
          host,
        )
        if (note) console.log(`${d.name.padEnd(8)}| ${note}`)
        const spawnedAt = performance.now()
        const child = startChild(
          d.name,
          [process.execPath, join(root, d.main)],
          {
            ...common,
            ...perService[d.name],
            PORT: String(port),
            DATA_DIR: join(dataDir, d.name),
          },
          print,
        )
        children.push(child)
        const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
        await waitFor('ready', async () => (await fetch(`${url}/health/ready`)).ok, child, deadline)
        const readyMs = performance.now() - spawnedAt
        await waitFor(
          'passing in Consul',
          async () => {
            const res = await fetch(`${consulUrl}/v1/health/service/${d.name}?passing`)
            const entries = (await res.json()) as { Service: { Port: number } }[]
            return entries.some((e) => e.Service.Port === port)
          },
          child,
          deadline,
        )
        return { name: d.name, child, url, readyMs, passingMs: performance.now() - spawnedAt }
      }),
    )
  } catch (err) {
    stopping = true
    if (err instanceof StartError) {
      console.error(`\nharness: ${err.message}. Its last output:`)
      for (const line of err.child.tail()) console.error(`  ${line}`)
    } else {
      console.error(`\nharness: ${(err as Error).message}`)
    }
    await stopAll()
    return 1
  }

  const gateway = started.find((s) => s.name === 'gateway')!
  console.log(
    `\n${markdownTable(
      ['service', 'pid', 'url', 'ms to ready', 'ms to passing in Consul'],
      started.map((s) => [
        s.name,
        String(s.child.proc.pid),
        s.url,
        s.readyMs.toFixed(0),
        s.passingMs.toFixed(0),
      ]),
    )}\n`,
  )
  const info: StackInfo = {
    startedAt: new Date().toISOString(),
    pid: process.pid,
    gateway: gateway.url,
    consul: consulUrl,
    services: Object.fromEntries(started.map((s) => [s.name, s.url])),
    servers: {
      consul: consulUrl,
      kafka,
      mongo,
      postgres: config.DATABASE_URL ?? 'embedded PGlite per service (PGLITE_DATA_DIR)',
      redis: config.REDIS_URL ?? 'in-process read model in the feed service',
    },
  }
  await writeStackFile(info)
  console.log(`stack up in ${(performance.now() - t0).toFixed(0)} ms; details in .data/stack.json`)
  console.log(`OpenAPI: ${started.map((s) => `${s.url}/openapi`).join('  ')}`)
  console.log(`gateway ready at ${gateway.url}`)

  return new Promise<number>((done) => {
    const shutdown = async (why: string, code: number) => {
      if (stopping) return
      stopping = true
      console.log(`\nharness: ${why}; stopping the stack`)
      await stopAll()
      done(code)
    }
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.on(signal, () => void shutdown(signal, 0))
    for (const s of started) {
      void s.child.proc.exited.then((code) => {
        if (stopping) return
        console.error(`harness: ${s.name} exited (${code}). Its last output:`)
        for (const line of s.child.tail()) console.error(`  ${line}`)
        void shutdown(`${s.name} stopped`, 1)
      })
    }
  })
}
