/**
 * Real Prometheus (Debian's package) scraping the stack it finds in Consul, with
 * the relabeling of compose/monitoring/prometheus.yml (the `metrics_path` each
 * instance advertises in its registration meta): every service and the gateway
 * are scraped (`up` = 1), the request-duration histogram has series for each of
 * them, and the consumer lag gauge for the profile and feed consumer groups.
 *
 * Debian builds Prometheus without Consul service discovery (`consul_sd_configs`
 * is not a field there), so this test serves Consul's catalog to it through
 * `http_sd_configs` with the same `__meta_consul_*` labels Consul SD sets; the
 * compose stack's official image uses `consul_sd_configs` itself.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@civildiy/devstack'
import { consulClient, discoverService } from '@civildiy/kit'
import type { Subprocess } from 'bun'
import { type RunningStack, startStack, until } from './stack-helpers.ts'

const binary = Bun.which('prometheus')
if (!binary)
  console.warn(
    'SKIPPED prometheus flow: no prometheus binary (apt-get install prometheus; .ci/run does)',
  )

let running: RunningStack
let prometheus: Subprocess
let promUrl: string
let dir: string
const services = ['auth', 'profile', 'posts', 'feed', 'search', 'notifications', 'gateway']

beforeAll(async () => {
  if (!binary) return
  running = await startStack(services)
  const consul = running.stack.url('consul')!
  await Promise.all(
    services.map((s) => until(() => discoverService(consulClient(consul), s), Boolean, 30_000, s)),
  )
  const sd = consulAsHttpSd(consul)
  dir = mkdtempSync(join(tmpdir(), 'prometheus-'))
  // The scrape configuration compose/monitoring/prometheus.yml uses, pointed at this Consul.
  const config = (
    await Bun.file(
      join(import.meta.dir, '..', '..', 'compose', 'monitoring', 'prometheus.yml'),
    ).text()
  )
    .replace(/\n\s*authorization:\n\s*credentials_file: \/run\/secrets\/gateway_admin_token/, '')
    .replace(
      /consul_sd_configs:\n(\s*)- server: consul:8500\n[\s\S]*?(\n\s*relabel_configs:)/g,
      `http_sd_configs:\n$1- url: ${sd}/targets$2`,
    )
    .replace(/scrape_interval: \S+/, 'scrape_interval: 1s')
  writeFileSync(join(dir, 'prometheus.yml'), config)
  const port = await freePort()
  promUrl = `http://127.0.0.1:${port}`
  prometheus = Bun.spawn(
    [
      binary,
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdout: 'ignore', stderr: 'ignore' },
  )
}, 90_000)

/** Consul's passing instances as Prometheus HTTP SD target groups, with Consul SD's meta labels. */
function consulAsHttpSd(consul: string): string {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch() {
      const names = Object.keys(
        (await (await fetch(`${consul}/v1/catalog/services`)).json()) as Record<string, unknown>,
      )
      const groups = []
      for (const name of names) {
        const entries = (await (
          await fetch(`${consul}/v1/health/service/${name}?passing`)
        ).json()) as {
          Service: {
            ID: string
            Service: string
            Address: string
            Port: number
            Meta: Record<string, string>
          }
        }[]
        for (const e of entries) {
          const labels: Record<string, string> = {
            __meta_consul_service: e.Service.Service,
            __meta_consul_service_id: e.Service.ID,
          }
          for (const [k, v] of Object.entries(e.Service.Meta ?? {}))
            labels[`__meta_consul_service_metadata_${k}`] = v
          groups.push({ targets: [`${e.Service.Address}:${e.Service.Port}`], labels })
        }
      }
      return Response.json(groups)
    },
  })
  servers.push(server)
  return `http://127.0.0.1:${server.port}`
}
const servers: ReturnType<typeof Bun.serve>[] = []

afterAll(async () => {
  for (const s of servers) s.stop(true)
  prometheus?.kill('SIGTERM')
  await prometheus?.exited
  await running?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function query(q: string) {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] }
  }
  return body.data.result
}

test.skipIf(!binary)(
  'every instance is scraped; request durations for every service, consumer lag for the consumers',
  async () => {
    // Traffic so that every service has answered at least one request besides probes.
    const gateway = await discoverService(consulClient(running.stack.url('consul')!), 'gateway')
    for (let i = 0; i < 3; i++) await fetch(`${gateway}/feed/global`)
    // Events on every topic the consumers read, so each has partitions and a lag.
    const json = { 'content-type': 'application/json' }
    const credentials = JSON.stringify({
      email: 'prom@example.com',
      password: 'prometheus password',
    })
    await fetch(`${gateway}/auth/register`, { method: 'POST', headers: json, body: credentials })
    const { accessToken } = (await (
      await fetch(`${gateway}/auth/login`, { method: 'POST', headers: json, body: credentials })
    ).json()) as { accessToken: string }
    const as = { ...json, authorization: `Bearer ${accessToken}` }
    await fetch(`${gateway}/posts`, { method: 'POST', headers: as, body: '{"body":"scraped"}' })
    const me = (await (await fetch(`${gateway}/auth/me`, { headers: as })).json()) as { id: string }
    await until(
      () => fetch(`${gateway}/profiles/${me.id}`),
      (r) => r.ok,
      20_000,
      'profile',
    )
    const up = await until(
      () => query('up == 1'),
      (r) => services.every((s) => r.some((x) => x.metric.service === s)),
      60_000,
      'every service up in Prometheus',
    )
    expect(new Set(up.map((r) => r.metric.service))).toEqual(new Set(services))
    const durations = await until(
      () => query('sum by (service) (http_server_request_duration_seconds_count)'),
      (r) => services.every((s) => r.some((x) => x.metric.service === s)),
      30_000,
      'request durations of every service',
    )
    expect(durations.length).toBe(services.length)
    const lag = await until(
      () => query('messaging_kafka_consumer_lag'),
      (r) => ['profile', 'feed'].every((s) => r.some((x) => x.metric.service === s)),
      30_000,
      'consumer lag of profile and feed',
    )
    expect(lag.every((r) => Number(r.value[1]) >= 0)).toBe(true)
    // The post above reached the read model: its propagation delay was observed.
    const propagated = await until(
      () => query('feed_propagation_delay_seconds_count{cloudevents_event_type="post.created"}'),
      (r) => r.some((x) => Number(x.value[1]) >= 1),
      30_000,
      'a post.created propagation delay',
    )
    expect(propagated.length).toBeGreaterThan(0)
  },
  180_000,
)
