/**
 * A/B benchmark for gateway changes: runs the gateway from two checkouts (this one
 * and another, e.g. a `git worktree` holding the change) behind the same devstack
 * Consul and Elysia hello upstream, then alternates wrk rounds between them so
 * drift on a shared machine hits both alike. Prints requests/s per round (or p50 ms
 * at 1 connection) and the ratio of the medians. Each DIR needs its dependencies
 * installed (`npm install` in a new worktree). Two identical checkouts differ by up
 * to about 10% over a few rounds here, so smaller differences need more rounds.
 *
 * Usage: bun bench/gateway-ab.ts --b DIR [--a DIR] [--connections 50] [--rounds 5]
 *        [--seconds 4] [--body BYTES]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { startConsul } from '@civildiy/devstack'
import { fmt, positiveNumber } from '@civildiy/harness'
import { consulClient } from '@civildiy/kit'
import { createTestIssuer } from '@civildiy/kit/testing'
import { spawnGateway, spawnHelloUpstream } from './lib/gateway-fixtures.ts'
import { ensureDebianPackages, wrk } from './lib/wrk.ts'

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    body: { type: 'string' },
  },
})
if (!args.b) {
  console.error('usage: bun bench/gateway-ab.ts --b DIR [--a DIR] (DIR: a checkout of this repo)')
  process.exit(2)
}
const checkouts = { A: resolve(args.a ?? join(import.meta.dir, '..')), B: resolve(args.b) }
let connections: number, rounds: number, seconds: number, bodyBytes: number
try {
  connections = positiveNumber(args, 'connections', 50)
  rounds = positiveNumber(args, 'rounds', 5)
  seconds = positiveNumber(args, 'seconds', 4)
  bodyBytes = positiveNumber(args, 'body', 5)
} catch (err) {
  console.error((err as Error).message)
  process.exit(2)
}

await ensureDebianPackages({ wrk: 'wrk' })
const work = mkdtempSync(join(tmpdir(), 'bench-gateway-ab-'))
const procs: ReturnType<typeof Bun.spawn>[] = []
const consulServer = await startConsul({ port: 0 })
const consul = consulClient(consulServer.url)
const issuer = await createTestIssuer()
const jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!

try {
  const auth = { authorization: `Bearer ${await issuer.tokenFor(crypto.randomUUID())}` }
  const hello = await spawnHelloUpstream(work, consul, bodyBytes)
  procs.push(hello.proc)
  const routesFile = join(work, 'routes.json')
  writeFileSync(
    routesFile,
    JSON.stringify({ routes: [{ prefix: '/hello', service: 'hello', auth: 'required' }] }),
  )
  const urls: Record<string, string> = {}
  for (const [label, dir] of Object.entries(checkouts)) {
    const gateway = await spawnGateway({
      checkout: dir,
      consulUrl: consulServer.url,
      routesFile,
      jwksUrl: `http://127.0.0.1:${jwks.port}/jwks`,
    })
    procs.push(gateway.proc)
    urls[label] = `${gateway.url}/hello`
    const deadline = Date.now() + 30_000
    while (!(await fetch(urls[label]!, { headers: auth }).then((r) => r.ok))) {
      if (Date.now() > deadline) throw new Error(`gateway ${label} never routed to the upstream`)
      await Bun.sleep(50)
    }
  }
  const figure = connections === 1 ? 'p50 ms' : 'requests/s'
  const results: Record<string, number[]> = { A: [], B: [] }
  for (const url of Object.values(urls)) await wrk(url, { connections, seconds: 1, headers: auth })
  for (let r = 0; r < rounds; r++) {
    for (const label of r % 2 ? ['B', 'A'] : ['A', 'B']) {
      const w = await wrk(urls[label]!, { connections, seconds, headers: auth })
      results[label]!.push(connections === 1 ? w.ms.p50 : w.perSecond)
    }
  }
  for (const [label, xs] of Object.entries(results))
    console.log(`${label} (${checkouts[label as 'A' | 'B']}): ${figure} ${xs.map(fmt).join(', ')}`)
  console.log(
    `B/A, medians: ${fmt(median(results.B!) / median(results.A!))} (${connections} connections, ${bodyBytes}-byte body, ${rounds} rounds of ${seconds} s)`,
  )
} finally {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => p.exited))
  jwks.stop(true)
  await consulServer.stop()
  rmSync(work, { recursive: true, force: true })
}
