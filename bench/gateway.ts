/**
 * Gateway benchmark: requests/s and p50/p99 (wrk, loopback) at 1 and 50
 * connections against two upstreams, each reached directly, through our gateway
 * (JWT verified on every request) on Bun and on Deno, through nginx `proxy_pass` and through HAProxy
 * (Debian packages, started here with keep-alive to the upstream), and through a
 * bare Bun.serve forwarding with fetch (bench/fixtures/fetch-proxy.ts: the floor
 * for a Bun proxy built on fetch). Every proxy runs one worker process/thread, like
 * the gateway; wrk uses one thread. Client, proxies and upstreams share this
 * machine's cores.
 *
 * Upstreams: an Elysia hello (the proxy's own cost shows) and the feed service
 * serving a 20-item home feed (what users call).
 *
 * Usage: bun bench/gateway.ts [--quick] [--json FILE]
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startConsul, startKafkaBroker } from '@civildiy/devstack'
import { fmt, markdownTable, ratio } from '@civildiy/harness'
import { consulClient, createEventPublisher, denoExecutable } from '@civildiy/kit'
import { createTestIssuer, silentLogger } from '@civildiy/kit/testing'
import { spawnGateway, spawnHelloUpstream } from './lib/gateway-fixtures.ts'
import { rssMiB, treeCpuSeconds } from './lib/process-usage.ts'
import { postCreated } from './lib/seed-events.ts'
import { spawnServing } from './lib/spawn-serving.ts'
import { ensureDebianPackages, type WrkResult, wrk } from './lib/wrk.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
})
const quick = Boolean(args.quick)
const seconds = quick ? 1 : 10
const root = join(import.meta.dir, '..')
const work = mkdtempSync(join(tmpdir(), 'bench-gateway-'))
const procs: ReturnType<typeof Bun.spawn>[] = []

await ensureDebianPackages({ wrk: 'wrk', nginx: 'nginx-light', haproxy: 'haproxy' })
const broker = await startKafkaBroker({ port: 0, log: () => {} })
const consulServer = await startConsul({ port: 0 })
const consul = consulClient(consulServer.url)
const issuer = await createTestIssuer()
const jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })

async function spawn(cmd: string[], env: Record<string, string>, probe: string): Promise<number> {
  const proc = await spawnServing(cmd, { env, probe })
  procs.push(proc)
  return proc.pid
}

try {
  const userId = crypto.randomUUID()
  const token = await issuer.tokenFor(userId)
  const auth = { authorization: `Bearer ${token}` }

  const hello = await spawnHelloUpstream(work, consul)
  procs.push(hello.proc)
  const helloPort = hello.port

  const feedPort = await freePort()
  const feedPid = await spawn(
    [process.execPath, join(root, 'services/feed/src/main.ts')],
    {
      PORT: String(feedPort),
      KAFKA_BROKERS: broker.brokers[0]!,
      AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/jwks`,
      CONSUL_HTTP_ADDR: consulServer.url,
      ADVERTISE_ADDRESS: '127.0.0.1',
      REDIS_URL: '',
    },
    `http://127.0.0.1:${feedPort}/health/live`,
  )
  // Twenty posts by the user land in their own home feed.
  const publisher = await createEventPublisher({
    brokers: broker.brokers,
    clientId: 'bench-gateway',
    logger: silentLogger(),
  })
  await publisher.publish(
    Array.from({ length: 20 }, (_, i) =>
      postCreated(
        userId,
        `post ${i}: ${'a realistic sentence of some length. '.repeat(3)}`,
        new Date(Date.now() - i * 1000),
      ),
    ),
  )
  await publisher.close()
  const feedDirect = `http://127.0.0.1:${feedPort}/feed?limit=20`
  const deadline = Date.now() + 30_000
  for (;;) {
    const page = (await (await fetch(feedDirect, { headers: auth })).json()) as { items: unknown[] }
    if (page.items.length === 20) break
    if (Date.now() > deadline) throw new Error('the feed never showed the 20 seeded posts')
    await Bun.sleep(50)
  }

  const routesFile = join(work, 'routes.json')
  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [
        { prefix: '/hello', service: 'hello', auth: 'required' },
        { prefix: '/feed', service: 'feed', auth: 'required' },
      ],
    }),
  )
  const gateway = await spawnGateway({
    checkout: root,
    consulUrl: consulServer.url,
    routesFile,
    jwksUrl: `http://127.0.0.1:${jwks.port}/jwks`,
  })
  procs.push(gateway.proc)
  const viaGateway = gateway.url
  // The same gateway on Deno, when npm installed it (the `deno` dev dependency).
  const onDeno = existsSync(denoExecutable(root))
    ? await spawnGateway({
        checkout: root,
        consulUrl: consulServer.url,
        routesFile,
        jwksUrl: `http://127.0.0.1:${jwks.port}/jwks`,
        runtime: 'deno',
      })
    : null
  if (onDeno) procs.push(onDeno.proc)
  else console.error('bench: no deno in node_modules/.bin; the gateway on Deno is left out')
  for (const base of [viaGateway, ...(onDeno ? [onDeno.url] : [])]) {
    for (;;) {
      const ok = await Promise.all(
        ['/hello', '/feed?limit=20'].map((p) =>
          fetch(base + p, { headers: auth }).then((r) => r.ok),
        ),
      )
      if (ok.every(Boolean)) break
      if (Date.now() > deadline + 30_000)
        throw new Error(`the gateway at ${base} never routed to both upstreams`)
      await Bun.sleep(50)
    }
  }

  const nginxPort = await freePort()
  const nginxConf = join(work, 'nginx.conf')
  writeFileSync(
    nginxConf,
    `worker_processes 1;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream hello { server 127.0.0.1:${helloPort}; keepalive 64; }
  upstream feed { server 127.0.0.1:${feedPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location /hello { proxy_pass http://hello; }
    location /feed { proxy_pass http://feed; }
  }
}
`,
  )
  const nginxPid = await spawn(
    ['nginx', '-p', work, '-c', nginxConf, '-g', 'daemon off;'],
    {},
    `http://127.0.0.1:${nginxPort}/hello`,
  )
  const haproxyPort = await freePort()
  const haproxyConf = join(work, 'haproxy.cfg')
  writeFileSync(
    haproxyConf,
    `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend web
  bind 127.0.0.1:${haproxyPort}
  use_backend feed if { path_beg /feed }
  default_backend hello
backend hello
  server h1 127.0.0.1:${helloPort}
backend feed
  server f1 127.0.0.1:${feedPort}
`,
  )
  const haproxyPid = await spawn(
    ['haproxy', '-db', '-f', haproxyConf],
    {},
    `http://127.0.0.1:${haproxyPort}/hello`,
  )

  const fetchProxyPort = await freePort()
  const fetchProxyPid = await spawn(
    [process.execPath, join(import.meta.dir, 'fixtures/fetch-proxy.ts')],
    {
      PORT: String(fetchProxyPort),
      HELLO_URL: `http://127.0.0.1:${helloPort}`,
      FEED_URL: `http://127.0.0.1:${feedPort}`,
    },
    `http://127.0.0.1:${fetchProxyPort}/hello`,
  )

  /** Each path's URL for a request path, and the process (tree) that serves it. */
  const targets: Record<string, { url: (path: string) => string; pid: (path: string) => number }> =
    {
      direct: {
        url: (path) =>
          `http://127.0.0.1:${path.startsWith('/hello') ? helloPort : feedPort}${path}`,
        pid: (path) => (path.startsWith('/hello') ? hello.proc.pid : feedPid),
      },
      'our gateway (JWT verified)': {
        url: (path) => viaGateway + path,
        pid: () => gateway.proc.pid,
      },
      ...(onDeno
        ? {
            'our gateway on Deno (JWT verified)': {
              url: (path: string) => onDeno.url + path,
              pid: () => onDeno.proc.pid,
            },
          }
        : {}),
      'nginx proxy_pass': {
        url: (path) => `http://127.0.0.1:${nginxPort}${path}`,
        pid: () => nginxPid,
      },
      HAProxy: { url: (path) => `http://127.0.0.1:${haproxyPort}${path}`, pid: () => haproxyPid },
      'bare Bun fetch proxy (no JWT, no policies)': {
        url: (path) => `http://127.0.0.1:${fetchProxyPort}${path}`,
        pid: () => fetchProxyPid,
      },
    }
  const upstreams = { 'Elysia hello': '/hello', 'feed: 20-item home page': '/feed?limit=20' }
  // Memory of our processes: idle now, and the peak while the runs below load them.
  const watched: Record<string, number> = {
    'Elysia hello': hello.proc.pid,
    feed: feedPid,
    gateway: gateway.proc.pid,
    ...(onDeno ? { 'gateway on Deno': onDeno.proc.pid } : {}),
  }
  const idleMiB = Object.fromEntries(
    Object.entries(watched).map(([k, pid]) => [k, rssMiB(pid) ?? 0]),
  )
  const peakMiB = { ...idleMiB }
  const sampler = setInterval(() => {
    for (const [k, pid] of Object.entries(watched))
      peakMiB[k] = Math.max(peakMiB[k]!, rssMiB(pid) ?? 0)
  }, 100)
  const results: Record<string, Record<string, Record<number, WrkResult>>> = {}
  /** CPU µs the serving process (the proxy, or the upstream for `direct`) spent per request at 50 connections. */
  const cpuPerRequest: Record<string, Record<string, number>> = {}
  for (const [upstream, path] of Object.entries(upstreams)) {
    results[upstream] = {}
    cpuPerRequest[upstream] = {}
    for (const [target, { url, pid }] of Object.entries(targets)) {
      results[upstream][target] = {}
      for (const connections of [1, 50]) {
        if (!quick) await wrk(url(path), { connections, seconds: 1, headers: auth })
        const cpu0 = treeCpuSeconds(pid(path))
        const w = await wrk(url(path), { connections, seconds, headers: auth })
        results[upstream][target][connections] = w
        if (connections === 50)
          cpuPerRequest[upstream][target] =
            ((treeCpuSeconds(pid(path)) - cpu0) * 1e6) / (w.perSecond * seconds)
      }
    }
  }

  clearInterval(sampler)
  let out = `\n## Gateway (${seconds} s per run, wrk 1 thread, loopback, 2 cores shared)${quick ? ' (--quick)' : ''}\n`
  for (const [upstream, byTarget] of Object.entries(results)) {
    const nginx = byTarget['nginx proxy_pass']!
    const direct = byTarget.direct!
    const rows = Object.entries(byTarget).map(([target, r]) => {
      const c50 = r[50]!
      const c1 = r[1]!
      const added = c1.ms.p50 - direct[1]!.ms.p50
      const nginxAdded = nginx[1]!.ms.p50 - direct[1]!.ms.p50
      return [
        target,
        fmt(c50.perSecond),
        `${fmt(c50.ms.p50)} / ${fmt(c50.ms.p99)} ms`,
        `${fmt(cpuPerRequest[upstream]![target]!)} µs`,
        target === 'direct'
          ? '-'
          : `${fmt(ratio(c50.perSecond, nginx[50]!.perSecond))}x rps, p99 ${fmt(ratio(c50.ms.p99, nginx[50]!.ms.p99))}x`,
        `${fmt(c1.perSecond)}`,
        `${fmt(c1.ms.p50)} / ${fmt(c1.ms.p99)} ms`,
        target === 'direct' ? '-' : `+${fmt(added)} ms (${fmt(ratio(added, nginxAdded))}x nginx's)`,
        String(c50.errors + c1.errors),
      ]
    })
    out += `\n### ${upstream}\n\n${markdownTable(
      [
        'path',
        '50 conns: req/s',
        'p50 / p99',
        'CPU per request (50 conns; the upstream for direct)',
        'vs nginx',
        '1 conn: req/s',
        'p50 / p99',
        'added p50 latency',
        'errors',
      ],
      rows,
    )}\n`
  }
  out += `\n### Memory (RSS)\n\n${markdownTable(
    ['process', 'idle', 'peak under the runs above'],
    Object.keys(watched).map((k) => [k, `${fmt(idleMiB[k]!)} MiB`, `${fmt(peakMiB[k]!)} MiB`]),
  )}\n`
  out +=
    "\nTargets (gateway, JWT on): at 50 connections >= 0.8x nginx req/s and p99 <= 2x nginx p99; at 1 connection added latency <= 2.5x nginx's.\n"
  console.log(out)
  const file = args.json ?? join(root, 'bench', 'results', 'gateway.json')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), quick, seconds, results, cpuPerRequestUs: cpuPerRequest, memory: { idleMiB, peakMiB } }, null, 2)}\n`,
  )
  console.log(`JSON: ${file}`)
} finally {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => p.exited))
  jwks.stop(true)
  await consulServer.stop()
  await broker.stop()
  rmSync(work, { recursive: true, force: true })
}
