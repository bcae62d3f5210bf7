/**
 * Validates the compose stack without a Docker engine: the file parses, images are
 * pinned, every container has a healthcheck, stateful servers keep their data in
 * named volumes, start order waits for health, every variable is documented, and
 * ports and addresses agree with the services' own configuration.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '@civildiy/kit'
import { makeDevCerts, NO_OPENSSL_REASON } from '@civildiy/kit/testing'
import { parse, stringify } from 'yaml'
import { GatewayConfig, GatewayProductionNeeds } from '../gateway/src/config.ts'
import { AuthConfig, AuthProductionNeeds } from '../services/auth/src/config.ts'
import { AuthAuditTopic, UsersTopic } from '../services/auth/src/events.ts'
import { FeedConfig, FeedProductionNeeds } from '../services/feed/src/config.ts'
import {
  NotificationsConfig,
  NotificationsProductionNeeds,
} from '../services/notifications/src/config.ts'
import { PostsConfig, PostsProductionNeeds } from '../services/posts/src/config.ts'
import { CommentsTopic, PostsAuditTopic, PostsTopic } from '../services/posts/src/events.ts'
import { ProfileConfig, ProfileProductionNeeds } from '../services/profile/src/config.ts'
import { FollowsTopic } from '../services/profile/src/events.ts'
import { SearchConfig, SearchProductionNeeds } from '../services/search/src/config.ts'

interface ComposeService {
  image?: string
  restart?: string
  configs?: { source: string; target: string }[]
  command?: string[]
  environment?: Record<string, string | number>
  healthcheck?: { test: unknown }
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  networks?: string[]
  ports?: string[]
}

const text = await Bun.file(join(import.meta.dir, 'compose.yaml')).text()
const buildOverride = parse(await Bun.file(join(import.meta.dir, 'compose.build.yaml')).text()) as {
  services: Record<string, { build: { context: string; dockerfile: string; target: string } }>
}
const compose = parse(text, { merge: true }) as {
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
  networks: Record<string, unknown>
  secrets: Record<string, { file: string }>
  configs: Record<string, { content: string }>
}
const dockerfile = await Bun.file(join(import.meta.dir, 'Dockerfile')).text()
const envExample = await Bun.file(join(import.meta.dir, '.env.example')).text()
const exampleValues = Object.fromEntries(
  [...envExample.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
)
const ours = {
  auth: AuthConfig,
  profile: ProfileConfig,
  posts: PostsConfig,
  feed: FeedConfig,
  search: SearchConfig,
  notifications: NotificationsConfig,
  gateway: GatewayConfig,
} as const
const stateful = ['kafka', 'mongo', 'postgres', 'redis', 'consul']
/** The monitoring profile: stateful too, except the collector. */
const monitoring = ['otel-collector', 'loki', 'jaeger', 'prometheus', 'grafana']
/** One-shot containers: they run to completion, so they have no healthcheck. */
const oneShot = ['consul-init', 'doctor']
const productionNeeds = {
  auth: AuthProductionNeeds,
  profile: ProfileProductionNeeds,
  posts: PostsProductionNeeds,
  feed: FeedProductionNeeds,
  search: SearchProductionNeeds,
  notifications: NotificationsProductionNeeds,
  gateway: GatewayProductionNeeds,
}
/** A compose variable reference: `${VAR}`, `${VAR:-default}` or `${VAR:?message}`. */
const VARIABLE = /(?<!\$)\$\{(\w+)(?::?[-?][^}]*)?\}/g

/**
 * Compose's interpolation (Compose specification, "Interpolation"): `${VAR}`,
 * `${VAR:-default}` (unset or empty), `${VAR:?message}` (required), `$$` for `$`.
 * @returns the text, and the messages of required variables that were missing.
 */
function interpolate(source: string, env: Record<string, string>) {
  const missing: string[] = []
  const out = source.replace(
    /\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (whole === '$$') return '$'
      const value = env[name!]
      if (value) return value
      if (op === '-') return arg ?? ''
      if (op === '?') missing.push(`${name}: ${arg}`)
      return ''
    },
  )
  return { out, missing }
}
/** Every required variable (`${VAR:?...}`) of compose.yaml. */
const requiredVariables = [...new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!))]

describe('compose.yaml', () => {
  test('has every server and every deployable on one user-defined network', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [...stateful, ...oneShot, ...monitoring, ...Object.keys(ours)].sort(),
    )
    for (const [name, s] of Object.entries(compose.services)) {
      expect({ name, networks: s.networks }).toEqual({ name, networks: ['civildiy'] })
    }
    expect(Object.keys(compose.networks)).toEqual(['civildiy'])
    // A fixed name, so `docker run --network civildiy` reaches it from any stack folder.
    expect((compose.networks.civildiy as { name?: string }).name).toBe('civildiy')
  })

  test('with only the secrets set every variable has a value; without them compose names each one', () => {
    expect(requiredVariables.length).toBeGreaterThanOrEqual(10)
    const secrets = Object.fromEntries(requiredVariables.map((v) => [v, 's'.repeat(32)]))
    const { out, missing } = interpolate(text, secrets)
    expect(missing).toEqual([])
    const resolved = parse(out, { merge: true }) as typeof compose
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(compose.services).sort())
    for (const [name, s] of Object.entries(resolved.services)) {
      expect({ name, image: s.image }).toEqual({
        name,
        image: expect.stringMatching(/^[\w./-]+:[\w.-]+$/),
      })
      for (const port of s.ports ?? []) expect(port).toMatch(/^(127\.0\.0\.1:)?\d+:\d+$/)
    }
    expect(String(resolved.services.auth!.environment!.LOG_LEVEL)).toBe('info')
    const none = interpolate(text, {})
    expect(new Set(none.missing.map((m) => m.split(':')[0]))).toEqual(new Set(requiredVariables))
    for (const m of none.missing) expect(m).toMatch(/: set \w+ in \.env/)
  })

  test('no store answers without credentials, and each service connects as its own user', async () => {
    const env = (name: string) => compose.services[name]!.environment!
    expect(String(env('auth').DATABASE_URL)).toStartWith('postgres://auth:${AUTH_DB_PASSWORD:?')
    expect(String(env('profile').DATABASE_URL)).toStartWith(
      'postgres://profile:${PROFILE_DB_PASSWORD:?',
    )
    expect(String(env('posts').MONGO_URL)).toStartWith('mongodb://posts:${POSTS_MONGO_PASSWORD:?')
    expect(String(env('posts').MONGO_URL)).toEndWith('@mongo:27017/posts?authSource=posts')
    expect(String(env('feed').REDIS_URL)).toStartWith('redis://feed:${FEED_REDIS_PASSWORD:?')
    // Redis: the default user off; MongoDB: authentication on (a root user exists).
    const redisArgs = compose.services.redis!.command!
    expect(
      redisArgs.slice(redisArgs.indexOf('default') - 1, redisArgs.indexOf('default') + 2),
    ).toEqual(['--user', 'default', 'off'])
    expect(String(env('mongo').MONGO_INITDB_ROOT_PASSWORD)).toStartWith('${MONGO_ROOT_PASSWORD:?')
    // PostgreSQL: a role per service owning its database; nobody else may connect.
    const init = await Bun.file(join(import.meta.dir, 'postgres-init.sh')).text()
    for (const name of ['auth', 'profile', 'search', 'notifications']) {
      expect(init).toContain(`CREATE ROLE ${name} LOGIN PASSWORD :'${name}_password';`)
      expect(init).toContain(`CREATE DATABASE ${name} OWNER ${name};`)
      expect(init).toContain(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC;`)
    }
    expect(Bun.spawnSync(['sh', '-n', join(import.meta.dir, 'postgres-init.sh')]).exitCode).toBe(0)
    const mongoInit = await Bun.file(join(import.meta.dir, 'mongo-init.js')).text()
    expect(mongoInit).toContain("roles: [{ role: 'readWrite', db: 'posts' }]")
  })

  test('every image compose pulls is built by the images workflow from a Dockerfile target', async () => {
    const workflow = parse(
      await Bun.file(join(import.meta.dir, '..', '.github', 'workflows', 'images.yml')).text(),
    ) as { jobs: { push: { strategy: { matrix: { target: string[] } } } } }
    const targets = workflow.jobs.push.strategy.matrix.target
    const ownImages = Object.entries(compose.services).filter(([, s]) =>
      s.image?.startsWith('${CIVILDIY_IMAGES:-'),
    )
    expect(ownImages.map(([n]) => n).sort()).toEqual(Object.keys(buildOverride.services).sort())
    for (const [name, s] of ownImages) {
      const target = buildOverride.services[name]!.build.target
      expect({ name, image: s.image }).toEqual({
        name,
        image: `\${CIVILDIY_IMAGES:-ghcr.io/civildiy}/${target}:\${CIVILDIY_TAG:-0.1.0}`,
      })
      expect(targets).toContain(target)
      expect(dockerfile).toContain(`AS ${target}\n`)
    }
    expect(compose.services.doctor!.command?.[0]).toBe('doctor')
  })

  test('images are pinned by tag, never latest', () => {
    const secrets = Object.fromEntries(requiredVariables.map((v) => [v, 'x']))
    const resolved = parse(interpolate(text, secrets).out, { merge: true }) as typeof compose
    for (const [name, s] of Object.entries(resolved.services)) {
      const tag = s.image?.split(':').at(-1)
      expect({ name, tag: tag && tag !== 'latest' }).toEqual({ name, tag: true })
    }
    for (const from of dockerfile.matchAll(/^ARG BUN\w*IMAGE=(\S+)/gm)) {
      expect(from[1]).toMatch(/:\d+\.\d+\.\d+/)
    }
  })

  test('every container has a healthcheck (compose or Dockerfile) and start order waits for health', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (oneShot.includes(name)) {
        expect({ name, restart: s.restart }).toEqual({ name, restart: 'no' })
        continue
      }
      const target = buildOverride.services[name]?.build.target
      const inDockerfile =
        target && new RegExp(`FROM runtime AS ${target}\\n(?:.*\\n)*?HEALTHCHECK`).test(dockerfile)
      expect({ name, healthcheck: Boolean(s.healthcheck || inDockerfile) }).toEqual({
        name,
        healthcheck: true,
      })
    }
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [dep, cond] of Object.entries(s.depends_on ?? {})) {
        expect({ name, dep, condition: cond.condition }).toEqual({
          name,
          dep,
          condition: oneShot.includes(dep) ? 'service_completed_successfully' : 'service_healthy',
        })
      }
    }
  })

  test('stateful servers keep their data in named volumes', () => {
    for (const name of [...stateful, 'loki', 'jaeger', 'prometheus', 'grafana']) {
      const volume = compose.services[name]!.volumes?.find((v) => !v.startsWith('.'))
      expect({ name, volume: Boolean(volume) }).toEqual({ name, volume: true })
      expect(Object.keys(compose.volumes)).toContain(volume!.split(':')[0]!)
    }
  })

  test('every variable is documented in .env.example, and every documented one is used', () => {
    const used = new Set([...text.matchAll(VARIABLE)].map((m) => m[1]!))
    const documented = new Set([...envExample.matchAll(/^(\w+)=/gm)].map((m) => m[1]!))
    expect([...used].filter((v) => !documented.has(v))).toEqual([])
    expect([...documented].filter((v) => !used.has(v))).toEqual([])
  })

  test('ports and addresses agree with each service’s configuration', () => {
    for (const [name, schema] of Object.entries(ours)) {
      const s = compose.services[name]!
      const env = s.environment!
      // The servers' URLs have no default: they always come from outside.
      const defaults = loadConfig(schema, {
        DATABASE_URL: 'postgres://u@db/x',
        MONGO_URL: 'mongodb://db',
      }) as { PORT: number }
      expect({ name, port: Number(env.PORT) }).toEqual({ name, port: defaults.PORT })
      const target = dockerfile.slice(dockerfile.indexOf(`FROM runtime AS ${name}\n`))
      expect(/ENV PORT=(\d+)/.exec(target)?.[1]).toBe(String(defaults.PORT))
      // Other containers must reach what is registered in Consul: the service name.
      expect(env.ADVERTISE_ADDRESS).toBe(name)
      expect(env.CONSUL_HTTP_ADDR).toBe('consul:8500')
      expect(env.KAFKA_BROKERS).toBe('kafka:9092')
      expect(env.NODE_ENV).toBe('production')
      // What production mode requires is there (compose variables stand in for secrets).
      const filled = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [
          k,
          String(v).replace(
            VARIABLE,
            (_, variable: string) => exampleValues[variable] || 'p'.repeat(32),
          ),
        ]),
      )
      expect(() =>
        loadConfig(schema, filled, productionNeeds[name as keyof typeof ours]),
      ).not.toThrow()
    }
    const kafka = compose.services.kafka!.environment!
    // The read model is rebuilt from the topics: nothing may age out of them.
    expect([kafka.KAFKA_LOG_RETENTION_MS, kafka.KAFKA_LOG_RETENTION_BYTES]).toEqual(['-1', '-1'])
    expect(String(kafka.KAFKA_ADVERTISED_LISTENERS)).toContain('CLIENT://kafka:9092')
  })

  test('Kafka: no plaintext listener beyond the container, a SCRAM user per service, ACLs on its own topics', async () => {
    const kafka = compose.services.kafka!.environment!
    const protocols = Object.fromEntries(
      String(kafka.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP)
        .split(',')
        .map((p) => p.split(':') as [string, string]),
    )
    for (const listener of String(kafka.KAFKA_LISTENERS).split(',')) {
      const [, name, host, port] = /^(\w+):\/\/([^:]*):(\d+)$/.exec(listener)!
      const local = host === 'localhost' || host === '127.0.0.1'
      expect({ name, protocol: local ? 'local' : protocols[name!] }).toEqual({
        name,
        protocol: local ? 'local' : 'SASL_SSL',
      })
      // The published port is one of the SASL_SSL listeners.
      const published = compose.services.kafka!.ports!.map((p) => p.split(':').at(-1))
      if (published.includes(port)) expect(protocols[name!]).toBe('SASL_SSL')
    }
    expect(kafka.KAFKA_SASL_ENABLED_MECHANISMS).toBe('SCRAM-SHA-256')
    expect(kafka.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND).toBe('false')
    const start = await Bun.file(join(import.meta.dir, 'kafka', 'kafka-start.sh')).text()
    expect(
      Bun.spawnSync(['bash', '-n', join(import.meta.dir, 'kafka', 'kafka-start.sh')]).exitCode,
    ).toBe(0)
    expect(start).toContain('for user in auth profile posts feed search notifications; do')
    const grants = [...start.matchAll(/^allow (\w+) (.*)$/gm)].map((m) => ({
      user: m[1]!,
      args: m[2]!,
    }))
    const writes = (user: string) =>
      grants.filter((g) => g.user === user && g.args.includes('own_topic')).map((g) => g.args)
    const topics = {
      auth: [UsersTopic, AuthAuditTopic],
      profile: [FollowsTopic],
      posts: [PostsTopic, CommentsTopic, PostsAuditTopic],
    }
    for (const [name, owned] of Object.entries(topics))
      for (const topic of owned) {
        expect(writes(name).some((a) => a.includes(`--topic ${topic} `))).toBe(true)
        // No one writes another service's topic.
        for (const other of Object.keys(topics).filter((o) => o !== name))
          expect(writes(other).some((a) => a.includes(`--topic ${topic} `))).toBe(false)
      }
    for (const name of ['auth', 'profile', 'posts', 'feed', 'search', 'notifications']) {
      const env = compose.services[name]!.environment!
      const variable = `${name.toUpperCase()}_KAFKA_PASSWORD`
      expect({
        name,
        mechanism: env.KAFKA_SASL_MECHANISM,
        user: env.KAFKA_SASL_USERNAME,
        password: String(env.KAFKA_SASL_PASSWORD).startsWith(`\${${variable}:?`),
        ca: env.KAFKA_TLS_CA_FILE,
      }).toEqual({
        name,
        mechanism: 'scram-sha-256',
        user: name,
        password: true,
        ca: '/run/tls/ca.pem',
      })
      expect(String(kafka[variable])).toStartWith(`\${${variable}:?`)
    }
  })

  test('services speak HTTPS with client certificates required, and every mounted certificate is made by make-dev-certs.sh', () => {
    for (const name of ['auth', 'profile', 'posts', 'feed', 'search', 'notifications']) {
      const env = compose.services[name]!.environment!
      expect({
        name,
        cert: env.TLS_CERT_FILE,
        key: env.TLS_KEY_FILE,
        auth: env.TLS_CLIENT_AUTH,
      }).toEqual({
        name,
        cert: `/run/tls/${name}.pem`,
        key: `/run/tls/${name}.key`,
        auth: 'require',
      })
      if (env.AUTH_JWKS_URL) expect(String(env.AUTH_JWKS_URL)).toStartWith('https://auth:3001/')
    }
    const gateway = compose.services.gateway!.environment!
    expect([gateway.TLS_CLIENT_CERT_FILE, gateway.TLS_CA_FILE]).toEqual([
      '/run/tls/gateway.pem',
      '/run/tls/ca.pem',
    ])
    if (NO_OPENSSL_REASON)
      return console.warn(`SKIPPED certificate files check: ${NO_OPENSSL_REASON}`)
    const names = /make-dev-certs\.sh tls\/certs ([\w ]+)/.exec(text)![1]!.trim().split(' ')
    const dir = mkdtempSync(join(tmpdir(), 'compose-certs-'))
    try {
      makeDevCerts(dir, ...names)
      const referenced = new Set(
        [...text.matchAll(/\/(?:run|etc\/kafka)\/tls\/([\w.-]+)/g)].map((m) => m[1]!),
      )
      const prometheus = readFileSync(join(import.meta.dir, 'monitoring', 'prometheus.yml'), 'utf8')
      for (const m of prometheus.matchAll(/\/run\/tls\/([\w.-]+)/g)) referenced.add(m[1]!)
      expect(referenced.size).toBeGreaterThanOrEqual(10)
      for (const file of referenced)
        expect({ file, made: existsSync(join(dir, file)) }).toEqual({ file, made: true })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('secrets come from files kept out of git', async () => {
    const file = compose.secrets.jwt_private_key!.file
    expect(file).toStartWith('./secrets/')
    expect(await Bun.file(join(import.meta.dir, 'secrets', '.gitignore')).text()).toContain('*.pem')
    expect(text).not.toMatch(/PRIVATE KEY-----/)
  })

  test('no port but the gateway is published beyond the host loopback', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (name === 'gateway') continue
      for (const port of s.ports ?? []) {
        expect({ name, port: port.startsWith('127.0.0.1:') }).toEqual({ name, port: true })
      }
    }
    const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length)
    expect(published.map(([n]) => n).sort()).toEqual(
      ['consul', 'gateway', 'grafana', 'jaeger', 'kafka', 'prometheus'].sort(),
    )
  })

  test('Consul runs with ACLs denying by default, and each deployable has its own token', async () => {
    const acl = compose.configs.consul_acl!.content
    expect(acl).toMatch(/enabled\s*=\s*true/)
    expect(acl).toMatch(/default_policy\s*=\s*"deny"/)
    expect(compose.services.consul!.configs?.[0]?.target).toBe('/consul/config/acl.hcl')
    const script = await Bun.file(join(import.meta.dir, 'consul', 'bootstrap-acl.sh')).text()
    const tokens = new Set<string>()
    for (const name of Object.keys(ours)) {
      const variable = `${name.toUpperCase()}_CONSUL_TOKEN`
      expect(String(compose.services[name]!.environment!.CONSUL_HTTP_TOKEN)).toStartWith(
        `\${${variable}:?`,
      )
      expect(script).toContain(`ensure ${name} "$${variable}"`)
      tokens.add(variable)
    }
    expect(tokens.size).toBe(Object.keys(ours).length)
  })

  /** Secrets that switch a feature on: empty means off, so compose starts without them. */
  const OPTIONAL_SECRETS = ['GATEWAY_ADMIN_TOKEN', 'AUTH_ADMIN_BOOTSTRAP_TOKEN']
  test('.env.example holds no usable secret, and compose refuses to start without them', () => {
    const secrets = [...envExample.matchAll(/^(\w*(?:PASSWORD|TOKEN)\w*)=(.*)$/gm)]
    expect(secrets.length).toBeGreaterThanOrEqual(9)
    for (const [, name, value] of secrets) {
      expect({ name, value }).toEqual({ name, value: '' })
      // Required secrets use ${VAR:?message}; the optional admin tokens default to empty.
      if (!OPTIONAL_SECRETS.includes(name!)) expect(text).toContain(`\${${name}:?`)
      else expect(text).toContain(`\${${name}:-}`)
    }
  })

  test('the monitoring configuration: Prometheus checked by promtool, PromQL of the dashboard parsed, the collector wired to Jaeger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitoring-'))
    try {
      const promtool = Bun.which('promtool')
      const prometheus = await Bun.file(
        join(import.meta.dir, 'monitoring', 'prometheus.yml'),
      ).text()
      const dashboard = (await Bun.file(
        join(import.meta.dir, 'monitoring', 'grafana', 'dashboards', 'civildiy.json'),
      ).json()) as { panels: { title: string; targets: { expr: string }[] }[] }
      const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))
      expect(exprs.length).toBeGreaterThanOrEqual(8)
      // Every metric the dashboard reads is one the services define.
      const sources = (
        await Promise.all(
          ['kit/src', 'gateway/src', 'services/feed/src'].map(async (d) =>
            (
              await Promise.all(
                [...new Bun.Glob('**/*.ts').scanSync(join(import.meta.dir, '..', d))].map((f) =>
                  Bun.file(join(import.meta.dir, '..', d, f)).text(),
                ),
              )
            ).join('\n'),
          ),
        )
      ).join('\n')
      for (const name of new Set(
        exprs.flatMap(
          (e) => e.match(/\b[a-z_]+_(?:total|seconds|events|lag|ejected|open|panic)\b/g) ?? [],
        ),
      )) {
        const base = name.replace(/_(bucket|count|sum)$/, '')
        expect({ name, defined: sources.includes(`'${base}'`) }).toEqual({ name, defined: true })
      }
      if (!promtool) {
        console.warn(
          'SKIPPED promtool checks: no promtool (apt-get install prometheus; .ci/run does)',
        )
        return
      }
      // Debian builds Prometheus without Consul SD: check the file with HTTP SD in its place.
      const checkable = prometheus.replace(
        /consul_sd_configs:\n(\s*)- server: consul:8500\n[\s\S]*?(\n\s*relabel_configs:)/g,
        'http_sd_configs:\n$1- url: http://127.0.0.1:1/targets$2',
      )
      expect(checkable.match(/^\s*http_sd_configs:/gm)).toHaveLength(2)
      writeFileSync(join(dir, 'prometheus.yml'), checkable)
      const config = Bun.spawnSync(['promtool', 'check', 'config', join(dir, 'prometheus.yml')])
      expect({
        out: config.stdout.toString() + config.stderr.toString(),
        code: config.exitCode,
      }).toMatchObject({ code: 0 })
      // The dashboard's PromQL, parsed by Prometheus's own parser as recording rules.
      const rules = {
        groups: [
          {
            name: 'dashboard',
            rules: exprs.map((expr, i) => ({ record: `dashboard:expr${i}`, expr })),
          },
        ],
      }
      writeFileSync(join(dir, 'rules.yml'), stringify(rules))
      const checked = Bun.spawnSync(['promtool', 'check', 'rules', join(dir, 'rules.yml')])
      expect({
        out: checked.stdout.toString() + checked.stderr.toString(),
        code: checked.exitCode,
      }).toMatchObject({ code: 0 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    const collector = parse(
      await Bun.file(join(import.meta.dir, 'monitoring', 'otel-collector.yaml')).text(),
    ) as {
      exporters: Record<string, { endpoint: string }>
      service: {
        pipelines: Record<'traces' | 'logs', { receivers: string[]; exporters: string[] }>
      }
    }
    expect(collector.service.pipelines.traces.receivers).toEqual(['otlp'])
    // Log records (OTEL_LOGS_EXPORTER=otlp) go on to Loki's OTLP endpoint, which Grafana reads.
    expect(collector.service.pipelines.logs.receivers).toEqual(['otlp'])
    expect(collector.exporters[collector.service.pipelines.logs.exporters[0]!]!.endpoint).toBe(
      'http://loki:3100/otlp',
    )
    const sources = parse(
      await Bun.file(
        join(
          import.meta.dir,
          'monitoring',
          'grafana',
          'provisioning',
          'datasources',
          'datasources.yaml',
        ),
      ).text(),
    ) as { datasources: { type: string; url: string }[] }
    expect(sources.datasources.find((d) => d.type === 'loki')?.url).toBe('http://loki:3100')
    expect(collector.exporters[collector.service.pipelines.traces.exporters[0]!]!.endpoint).toBe(
      'jaeger:4317',
    )
    for (const name of Object.keys(ours)) {
      const env = compose.services[name]!.environment!
      expect(String(env.OTEL_EXPORTER_OTLP_ENDPOINT)).toBe('http://otel-collector:4318')
      expect(String(env.OTEL_LOGS_EXPORTER)).toBe('otlp')
    }
  })
})
