/**
 * An HTTP server implementing the subset of the Consul agent API that service
 * registration, discovery and gateways use, with Consul's field names, status
 * codes and blocking queries, so the `consul` npm client and Consul-aware tools
 * work unchanged. For development and tests only.
 *
 * Source: https://developer.hashicorp.com/consul/api-docs (agent, health, catalog,
 * kv, status; "Blocking Queries").
 */
import { randomUUID } from 'node:crypto'
import { Agent, type AgentOptions, BadRequestError } from './agent.ts'
import { parseDuration } from './duration.ts'
import { compileFilter, FilterSyntaxError } from './filter.ts'
import type { AgentService, CheckState, CheckStatus, KvEntry } from './model.ts'

/** Options for {@link startConsul}. Every field has a default. */
export interface ConsulOptions extends Partial<AgentOptions> {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string
  /** Port; 0 picks a free one. Default 8500. */
  port?: number
  /** Address the node reports (Node.Address). Default: `host`, or 127.0.0.1 for a wildcard. */
  advertiseAddress?: string
  /**
   * ACL tokens (secret ids) accepted; when set, every request must present one
   * (`X-Consul-Token`, `Authorization: Bearer`, or `?token=`) or is refused with
   * 403 `ACL not found`, as Consul with `default_policy = "deny"` refuses an
   * unknown token. Policies are not modelled: a known token may do anything.
   * Default: ACLs off.
   */
  aclTokens?: string[]
}

/** A running Consul stand-in. */
export interface ConsulServer {
  /** Base URL, e.g. `http://127.0.0.1:8500`. */
  url: string
  host: string
  port: number
  stop(): Promise<void>
}

const MAX_WAIT_MS = 10 * 60_000
const DEFAULT_WAIT_MS = 5 * 60_000
const WILDCARD = new Set(['0.0.0.0', '::', '[::]'])

/** Whether the request presents an accepted ACL token (always, with ACLs off). */
function aclAllows(req: Request, tokens: string[] | undefined): boolean {
  if (!tokens) return true
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1]
  const token =
    req.headers.get('x-consul-token') ?? bearer ?? new URL(req.url).searchParams.get('token')
  return token !== null && tokens.includes(token)
}

function aclNotFound(): Response {
  return new Response('ACL not found', { status: 403, headers: { 'content-type': 'text/plain' } })
}

/**
 * Starts the Consul stand-in and resolves once it accepts requests.
 *
 * @throws when the port cannot be bound.
 * @example
 * const consul = await startConsul({ port: 0, minDeregisterCriticalMs: 500 })
 * const client = new Consul({ host: consul.host, port: consul.port })
 */
export async function startConsul(options: ConsulOptions = {}): Promise<ConsulServer> {
  const host = options.host ?? '127.0.0.1'
  const agent = new Agent({
    datacenter: options.datacenter ?? 'dc1',
    nodeName: options.nodeName ?? 'devstack',
    minDeregisterCriticalMs: options.minDeregisterCriticalMs ?? 60_000,
    reapIntervalMs: options.reapIntervalMs ?? 1_000,
  })
  const shutdown = new AbortController()
  const api = new ConsulApi(
    agent,
    options.advertiseAddress ?? (WILDCARD.has(host) ? '127.0.0.1' : host),
    shutdown.signal,
  )
  const server = Bun.serve({
    hostname: host,
    port: options.port ?? 8500,
    // Blocking queries hold requests open for up to ten minutes.
    idleTimeout: 0,
    fetch: (req) => (aclAllows(req, options.aclTokens) ? api.handle(req) : aclNotFound()),
  })
  const port = server.port!
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    async stop() {
      shutdown.abort()
      agent.stop()
      await server.stop(true)
    },
  }
}

type Handler = (req: Request, url: URL, param: string) => Response | Promise<Response>

/** Listings Consul filters; the rest (KV, status) takes no `?filter=`. */
const FILTERABLE =
  /^\/v1\/(agent\/(services|checks)$|catalog\/(services$|service\/|nodes$)|health\/(service|state|checks)\/)/

/**
 * A JSON listing with only the items `keep` accepts: list elements, or the values
 * of a map (agent services and checks). `/v1/catalog/services` maps names to tags,
 * so each is judged as `{ ServiceName, ServiceTags }`. Headers (X-Consul-Index) stay.
 */
async function filtered(
  res: Response,
  path: string,
  keep: (item: unknown) => boolean,
): Promise<Response> {
  if (!res.ok || !FILTERABLE.test(path)) return res
  const body = (await res.json()) as unknown
  let out: unknown
  if (Array.isArray(body)) out = body.filter(keep)
  else if (path === '/v1/catalog/services')
    out = Object.fromEntries(
      Object.entries(body as Record<string, string[]>).filter(([name, tags]) =>
        keep({ ServiceName: name, ServiceTags: tags }),
      ),
    )
  else
    out = Object.fromEntries(
      Object.entries(body as Record<string, unknown>).filter(([, v]) => keep(v)),
    )
  return new Response(JSON.stringify(out), { status: res.status, headers: res.headers })
}

class ConsulApi {
  private readonly nodeId = randomUUID()
  private readonly routes: [method: string, prefix: string, exact: boolean, handler: Handler][]

  constructor(
    private readonly agent: Agent,
    private readonly address: string,
    private readonly shutdown: AbortSignal,
  ) {
    const a = this.agent
    this.routes = [
      ['PUT', '/v1/agent/service/register', true, (req) => this.register(req)],
      [
        'PUT',
        '/v1/agent/service/deregister/',
        false,
        (_r, _u, id) =>
          a.deregisterService(id)
            ? ok()
            : notFound(
                `Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`,
              ),
      ],
      [
        'GET',
        '/v1/agent/services',
        true,
        () =>
          json(Object.fromEntries([...a.catalog.services].map(([id, s]) => [id, stripIndexes(s)]))),
      ],
      [
        'GET',
        '/v1/agent/service/',
        false,
        (_r, _u, id) => {
          const s = a.catalog.services.get(id)
          return s ? json(stripIndexes(s)) : notFound(`unknown service ID: ${id}`)
        },
      ],
      [
        'GET',
        '/v1/agent/checks',
        true,
        () =>
          json(
            Object.fromEntries([...a.catalog.checks].map(([id, c]) => [id, this.healthCheck(c)])),
          ),
      ],
      [
        'PUT',
        '/v1/agent/check/pass/',
        false,
        (_r, u, id) => this.ttl(id, 'passing', u.searchParams.get('note') ?? ''),
      ],
      [
        'PUT',
        '/v1/agent/check/warn/',
        false,
        (_r, u, id) => this.ttl(id, 'warning', u.searchParams.get('note') ?? ''),
      ],
      [
        'PUT',
        '/v1/agent/check/fail/',
        false,
        (_r, u, id) => this.ttl(id, 'critical', u.searchParams.get('note') ?? ''),
      ],
      ['PUT', '/v1/agent/check/update/', false, (req, _u, id) => this.checkUpdate(req, id)],
      ['GET', '/v1/agent/self', true, () => json(this.self())],
      ['GET', '/v1/agent/members', true, () => json([this.member()])],
      ['GET', '/v1/health/service/', false, (req, u, name) => this.healthService(req, u, name)],
      [
        'GET',
        '/v1/health/checks/',
        false,
        (req, u, name) =>
          this.blocking(
            req,
            u,
            () => a.catalog.serviceIndex(name),
            () => this.checksOf(name),
          ),
      ],
      ['GET', '/v1/health/state/', false, (req, u, state) => this.healthState(req, u, state)],
      [
        'GET',
        '/v1/catalog/services',
        true,
        (req, u) =>
          this.blocking(
            req,
            u,
            () => a.catalog.catalogServicesIndex(),
            () => this.catalogServices(),
          ),
      ],
      [
        'GET',
        '/v1/catalog/service/',
        false,
        (req, u, name) =>
          this.blocking(
            req,
            u,
            () => a.catalog.serviceIndex(name),
            () => this.instances(name, u).map((s) => this.catalogService(s)),
          ),
      ],
      ['GET', '/v1/catalog/nodes', true, () => json([this.node()], 1)],
      ['GET', '/v1/catalog/datacenters', true, () => json([a.options.datacenter])],
      ['GET', '/v1/status/leader', true, () => json(`${this.address}:8300`)],
      ['GET', '/v1/status/peers', true, () => json([`${this.address}:8300`])],
      ['GET', '/v1/kv/', false, (req, u, key) => this.kvGet(req, u, key)],
      ['PUT', '/v1/kv/', false, (req, u, key) => this.kvPut(req, u, key)],
      ['DELETE', '/v1/kv/', false, (_r, u, key) => this.kvDelete(u, key)],
    ]
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url)
    // Consul's HTTP router cleans the path first: `/v1/kv//a/b` is the key `a/b`.
    url.pathname = url.pathname.replace(/\/{2,}/g, '/')
    const expression = url.searchParams.get('filter')
    if (expression !== null) {
      let keep: (item: unknown) => boolean
      try {
        keep = compileFilter(expression)
      } catch (err) {
        if (!(err instanceof FilterSyntaxError)) throw err
        return text(`Failed to create boolean expression evaluator: ${err.message}`, 400)
      }
      return filtered(await this.route(req, url), url.pathname, keep)
    }
    return this.route(req, url)
  }

  private async route(req: Request, url: URL): Promise<Response> {
    let pathMatched = false
    for (const [method, prefix, exact, handler] of this.routes) {
      const hit = exact ? url.pathname === prefix : url.pathname.startsWith(prefix)
      if (!hit) continue
      pathMatched = true
      if (method !== req.method) continue
      const dc = url.searchParams.get('dc')
      if (dc && dc !== this.agent.options.datacenter)
        return text(`No path to datacenter "${dc}"`, 500)
      try {
        return await handler(req, url, decodeURIComponent(url.pathname.slice(prefix.length)))
      } catch (err) {
        if (err instanceof BadRequestError) return text(err.message, 400)
        return text(`Internal error: ${(err as Error).message}`, 500)
      }
    }
    if (pathMatched) return text(`method ${req.method} not allowed`, 405)
    return text(`Unsupported endpoint in the devstack Consul: ${req.method} ${url.pathname}`, 404)
  }

  // --- agent ------------------------------------------------------------------

  private async register(req: Request): Promise<Response> {
    let body: unknown
    try {
      body = await req.json()
    } catch {
      return text('Request decode failed: body is not valid JSON', 400)
    }
    this.agent.registerService(body)
    return ok()
  }

  private ttl(id: string, status: CheckStatus, note: string): Response {
    this.agent.updateTtlCheck(id, status, note)
    return ok()
  }

  private async checkUpdate(req: Request, id: string): Promise<Response> {
    const body = (await req.json().catch(() => null)) as { Status?: string; Output?: string } | null
    const status = body?.Status
    if (status !== 'passing' && status !== 'warning' && status !== 'critical')
      return text(`Invalid check status: "${status}"`, 400)
    this.agent.updateTtlCheck(id, status, body?.Output ?? '')
    return ok()
  }

  // --- health and catalog -------------------------------------------------------

  private healthService(req: Request, url: URL, name: string): Promise<Response> {
    const passing = url.searchParams.has('passing') && url.searchParams.get('passing') !== 'false'
    return this.blocking(
      req,
      url,
      () => this.agent.catalog.serviceIndex(name),
      () =>
        this.instances(name, url)
          .map((s) => ({
            s,
            checks: [
              this.serfHealth(),
              ...this.checksOfService(s.ID).map((c) => this.healthCheck(c)),
            ],
          }))
          .filter(({ checks }) => !passing || checks.every((c) => c.Status === 'passing'))
          .map(({ s, checks }) => ({
            Node: this.node(),
            Service: this.healthServiceBody(s),
            Checks: checks,
          })),
    )
  }

  private healthState(req: Request, url: URL, state: string): Promise<Response> | Response {
    if (!['any', 'passing', 'warning', 'critical'].includes(state))
      return text(`Invalid state: "${state}"`, 400)
    return this.blocking(
      req,
      url,
      () => this.agent.catalog.checksTableIndex(),
      () =>
        [
          this.serfHealth(),
          ...[...this.agent.catalog.checks.values()].map((c) => this.healthCheck(c)),
        ].filter((c) => state === 'any' || c.Status === state),
    )
  }

  private instances(name: string, url: URL): AgentService[] {
    const tags = url.searchParams.getAll('tag')
    return [...this.agent.catalog.services.values()]
      .filter((s) => s.Service === name && tags.every((t) => s.Tags.includes(t)))
      .sort((a, b) => (a.ID < b.ID ? -1 : 1))
  }

  private checksOfService(serviceId: string): CheckState[] {
    return [...this.agent.catalog.checks.values()]
      .filter((c) => c.def.ServiceID === serviceId)
      .sort((a, b) => (a.def.CheckID < b.def.CheckID ? -1 : 1))
  }

  private checksOf(serviceName: string) {
    return [...this.agent.catalog.services.values()]
      .filter((s) => s.Service === serviceName)
      .flatMap((s) => this.checksOfService(s.ID).map((c) => this.healthCheck(c)))
  }

  private catalogServices(): Record<string, string[]> {
    const out: Record<string, string[]> = { consul: [] }
    for (const s of this.agent.catalog.services.values())
      out[s.Service] = [...new Set([...(out[s.Service] ?? []), ...s.Tags])]
    return out
  }

  /**
   * Runs a read as a blocking query when `index` is given: waits until the
   * result's index passes it or `wait` (default 5 min, max 10 min, plus up to
   * wait/16 of jitter) elapses, then answers with X-Consul-Index.
   */
  private async blocking(
    req: Request,
    url: URL,
    index: () => number,
    read: () => unknown,
  ): Promise<Response> {
    const after = url.searchParams.get('index')
    if (after !== null) {
      const min = Number(after)
      if (!Number.isFinite(min) || min < 0) return text(`Invalid index "${after}"`, 400)
      let waitMs = DEFAULT_WAIT_MS
      const wait = url.searchParams.get('wait')
      if (wait) {
        try {
          waitMs = parseDuration(wait)
        } catch {
          return text(`Invalid wait time "${wait}"`, 400)
        }
      }
      waitMs = Math.min(waitMs, MAX_WAIT_MS)
      waitMs += Math.random() * (waitMs / 16)
      await this.agent.catalog.waitForChange(
        index,
        min,
        waitMs,
        AbortSignal.any([req.signal, this.shutdown]),
      )
    }
    return json(read(), index())
  }

  private healthCheck(c: CheckState) {
    const service = this.agent.catalog.services.get(c.def.ServiceID)
    const d = c.def
    return {
      Node: this.agent.options.nodeName,
      CheckID: d.CheckID,
      Name: d.Name,
      Status: c.Status,
      Notes: d.Notes,
      Output: c.Output,
      ServiceID: d.ServiceID,
      ServiceName: service?.Service ?? '',
      ServiceTags: service?.Tags ?? [],
      Type: d.type,
      Interval: d.text.Interval,
      Timeout: d.text.Timeout,
      ExposedPort: 0,
      Definition: {
        Interval: d.text.Interval || '0s',
        Timeout: d.text.Timeout || '0s',
        DeregisterCriticalServiceAfter: d.text.DeregisterCriticalServiceAfter || '0s',
        HTTP: d.http?.url ?? '',
        Header: d.http?.header ?? null,
        Method: d.http?.method ?? '',
        TCP: d.tcp ?? '',
        TTL: d.text.TTL || '0s',
      },
      CreateIndex: c.CreateIndex,
      ModifyIndex: c.ModifyIndex,
    }
  }

  private serfHealth() {
    return {
      Node: this.agent.options.nodeName,
      CheckID: 'serfHealth',
      Name: 'Serf Health Status',
      Status: 'passing' as CheckStatus,
      Notes: '',
      Output: 'Agent alive and reachable',
      ServiceID: '',
      ServiceName: '',
      ServiceTags: [],
      Type: '',
      Interval: '',
      Timeout: '',
      ExposedPort: 0,
      Definition: {},
      CreateIndex: 1,
      ModifyIndex: 1,
    }
  }

  private node() {
    const a = this.address
    return {
      ID: this.nodeId,
      Node: this.agent.options.nodeName,
      Address: a,
      Datacenter: this.agent.options.datacenter,
      TaggedAddresses: { lan: a, lan_ipv4: a, wan: a, wan_ipv4: a },
      Meta: { 'consul-network-segment': '' },
      CreateIndex: 1,
      ModifyIndex: 1,
    }
  }

  private healthServiceBody(s: AgentService) {
    const { Datacenter: _dc, ...rest } = s
    return { ...rest, Proxy: { Mode: '', MeshGateway: {}, Expose: {} }, Connect: {}, PeerName: '' }
  }

  private catalogService(s: AgentService) {
    const n = this.node()
    return {
      ID: n.ID,
      Node: n.Node,
      Address: n.Address,
      Datacenter: n.Datacenter,
      TaggedAddresses: n.TaggedAddresses,
      NodeMeta: n.Meta,
      ServiceKind: '',
      ServiceID: s.ID,
      ServiceName: s.Service,
      ServiceTags: s.Tags,
      ServiceAddress: s.Address,
      ServiceTaggedAddresses: s.TaggedAddresses,
      ServiceWeights: s.Weights,
      ServiceMeta: s.Meta,
      ServicePort: s.Port,
      ServiceEnableTagOverride: s.EnableTagOverride,
      ServiceProxy: { Mode: '', MeshGateway: {}, Expose: {} },
      ServiceConnect: {},
      CreateIndex: s.CreateIndex,
      ModifyIndex: s.ModifyIndex,
    }
  }

  private member() {
    return {
      Name: this.agent.options.nodeName,
      Addr: this.address,
      Port: 8301,
      Tags: { dc: this.agent.options.datacenter, role: 'consul' },
      Status: 1,
    }
  }

  private self() {
    const o = this.agent.options
    return {
      Config: {
        Datacenter: o.datacenter,
        PrimaryDatacenter: o.datacenter,
        NodeName: o.nodeName,
        NodeID: this.nodeId,
        Server: true,
        Revision: 'devstack',
        Version: '1.20.0-devstack',
      },
      DebugConfig: {},
      Coord: null,
      Member: this.member(),
      Stats: {},
      Meta: { 'consul-network-segment': '' },
    }
  }

  // --- KV -----------------------------------------------------------------------

  private kvGet(req: Request, url: URL, key: string): Promise<Response> {
    const q = url.searchParams
    const recurse = q.has('recurse')
    const keysOnly = q.has('keys')
    const c = this.agent.catalog
    return (async () => {
      const res = await this.blocking(
        req,
        url,
        () => c.kvReadIndex(key, recurse || keysOnly),
        () => null,
      )
      const index = Number(res.headers.get('X-Consul-Index'))
      if (keysOnly) {
        const sep = q.get('separator') ?? ''
        const keys = new Set<string>()
        for (const e of c.kvList(key)) {
          const cut = sep ? e.Key.indexOf(sep, key.length) : -1
          keys.add(cut >= 0 ? e.Key.slice(0, cut + sep.length) : e.Key)
        }
        return keys.size ? json([...keys], index) : notFound('', index)
      }
      const entries = recurse
        ? c.kvList(key)
        : [c.kvGet(key)].filter((e): e is KvEntry => e !== undefined)
      if (entries.length === 0) return notFound('', index)
      if (q.has('raw') && !recurse) {
        return new Response(entries[0]!.Value ?? new Uint8Array(), {
          headers: { 'X-Consul-Index': String(index), 'Content-Type': 'application/octet-stream' },
        })
      }
      return json(
        entries.map((e) => ({
          LockIndex: e.LockIndex,
          Key: e.Key,
          Flags: e.Flags,
          Value: e.Value === null ? null : Buffer.from(e.Value).toString('base64'),
          CreateIndex: e.CreateIndex,
          ModifyIndex: e.ModifyIndex,
        })),
        index,
      )
    })()
  }

  private async kvPut(req: Request, url: URL, key: string): Promise<Response> {
    const q = url.searchParams
    if (!key) return text('Missing key name', 400)
    if (q.has('acquire') || q.has('release'))
      return text('sessions (acquire/release) are not supported by the devstack Consul', 400)
    const flags = q.has('flags') ? Number(q.get('flags')) : 0
    if (!Number.isInteger(flags) || flags < 0) return text(`Invalid flags "${q.get('flags')}"`, 400)
    const cas = q.has('cas') ? Number(q.get('cas')) : undefined
    if (cas !== undefined && (!Number.isInteger(cas) || cas < 0))
      return text(`Invalid cas "${q.get('cas')}"`, 400)
    const body = new Uint8Array(await req.arrayBuffer())
    if (body.byteLength > 512 * 1024)
      return text('Request body(512 KiB+) too large, max size: 524288 bytes', 413)
    return json(this.agent.catalog.kvPut(key, body.byteLength ? body : null, flags, cas))
  }

  private kvDelete(url: URL, key: string): Response {
    const q = url.searchParams
    const cas = q.has('cas') ? Number(q.get('cas')) : undefined
    if (cas !== undefined && (!Number.isInteger(cas) || cas < 0))
      return text(`Invalid cas "${q.get('cas')}"`, 400)
    return json(this.agent.catalog.kvDelete(key, q.has('recurse'), cas))
  }
}

function stripIndexes(s: AgentService) {
  const { CreateIndex: _c, ModifyIndex: _m, ...rest } = s
  return rest
}

function json(body: unknown, index?: number): Response {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (index !== undefined) {
    headers['X-Consul-Index'] = String(index)
    headers['X-Consul-KnownLeader'] = 'true'
    headers['X-Consul-LastContact'] = '0'
  }
  return new Response(JSON.stringify(body), { headers })
}

function text(message: string, status: number): Response {
  return new Response(message, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

function ok(): Response {
  return new Response(null, { status: 200 })
}

function notFound(message: string, index?: number): Response {
  const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' }
  if (index !== undefined) headers['X-Consul-Index'] = String(index)
  return new Response(message, { status: 404, headers })
}
