/**
 * The agent: turns registration bodies into services and checks, runs the checks,
 * and deregisters services whose check stayed critical past
 * DeregisterCriticalServiceAfter. Source:
 * https://developer.hashicorp.com/consul/api-docs/agent/service#register-service
 */
import { Catalog } from './catalog.ts'
import { CheckRunner } from './check-runner.ts'
import { formatDuration, parseDuration } from './duration.ts'
import type { AgentService, CheckDefinition, CheckState, CheckStatus } from './model.ts'

/** A registration or check update the agent refuses; answered with HTTP 400 and `message`. */
export class BadRequestError extends Error {
  override name = 'BadRequestError'
}

/** Agent settings. */
export interface AgentOptions {
  datacenter: string
  nodeName: string
  /** Consul raises DeregisterCriticalServiceAfter to at least one minute; lower it for tests. */
  minDeregisterCriticalMs: number
  /** How often critical services are reaped. */
  reapIntervalMs: number
}

type Json = Record<string, unknown>

/** Reads a field case-insensitively, as Consul's decoder does. */
function field(obj: Json, name: string): unknown {
  if (name in obj) return obj[name]
  const lower = name.toLowerCase()
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k]
  return undefined
}

function str(obj: Json, name: string): string | undefined {
  const v = field(obj, name)
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new BadRequestError(`${name} must be a string`)
  return v
}

function duration(obj: Json, name: string): number | undefined {
  const v = field(obj, name)
  if (v === undefined || v === null || v === '') return undefined
  try {
    return parseDuration(v as string | number)
  } catch {
    throw new BadRequestError(`Invalid ${name}: "${String(v)}" is not a duration`)
  }
}

const UNSUPPORTED_CHECKS = [
  'Args',
  'ScriptArgs',
  'Script',
  'GRPC',
  'H2PING',
  'UDP',
  'DockerContainerID',
  'AliasService',
  'OSService',
]

export class Agent {
  readonly catalog = new Catalog()
  private readonly runner: CheckRunner
  private readonly reaper: ReturnType<typeof setInterval>

  constructor(readonly options: AgentOptions) {
    this.runner = new CheckRunner((id, status, output) =>
      this.catalog.setCheckStatus(id, status, output),
    )
    this.reaper = setInterval(() => this.reapCritical(), options.reapIntervalMs)
    this.reaper.unref?.()
  }

  /**
   * PUT /v1/agent/service/register.
   * @throws BadRequestError for a missing name, a bad port or an invalid check.
   */
  registerService(body: unknown): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new BadRequestError('Request decode failed: expected a JSON object')
    const b = body as Json
    const name = str(b, 'Name')
    if (!name) throw new BadRequestError('Missing service name')
    const id = str(b, 'ID') || name
    const port = field(b, 'Port') ?? 0
    if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65_535)
      throw new BadRequestError(`Invalid service port: ${String(port)}`)
    const tags = (field(b, 'Tags') as string[] | null) ?? []
    const meta = (field(b, 'Meta') as Record<string, string> | null) ?? {}
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string'))
      throw new BadRequestError('Tags must be an array of strings')
    const weights = (field(b, 'Weights') as { Passing?: number; Warning?: number } | null) ?? {}
    const service: Omit<AgentService, 'CreateIndex' | 'ModifyIndex'> = {
      ID: id,
      Service: name,
      Tags: tags,
      Meta: meta,
      Port: port as number,
      Address: str(b, 'Address') ?? '',
      TaggedAddresses:
        (field(b, 'TaggedAddresses') as AgentService['TaggedAddresses'] | null) ?? {},
      Weights: { Passing: weights.Passing ?? 1, Warning: weights.Warning ?? 1 },
      EnableTagOverride: Boolean(field(b, 'EnableTagOverride')),
      Datacenter: this.options.datacenter,
    }
    const single = field(b, 'Check') as Json | null | undefined
    const many = (field(b, 'Checks') as Json[] | null | undefined) ?? []
    const defs: Json[] = []
    if (single && Object.keys(single).length > 0) defs.push(single)
    defs.push(...many)
    const checks = defs.map((def, i) =>
      this.parseCheck(def, service, defs.length === 1 ? '' : `:${i + 1}`),
    )
    const { removed, added } = this.catalog.putService(service, checks)
    for (const cid of removed) this.runner.stop(cid)
    for (const c of added) this.runner.start(c.def)
  }

  /** PUT /v1/agent/service/deregister/:id. Returns false for an unknown id. */
  deregisterService(id: string): boolean {
    const removed = this.catalog.removeService(id)
    if (!removed) return false
    for (const cid of removed) this.runner.stop(cid)
    return true
  }

  /**
   * PUT /v1/agent/check/pass|warn|fail/:id and /update/:id (TTL checks).
   * @throws BadRequestError for an unknown check or one without a TTL.
   */
  updateTtlCheck(checkId: string, status: CheckStatus, output: string): void {
    const check = this.catalog.checks.get(checkId)
    if (!check)
      throw new BadRequestError(
        `Unknown check ID "${checkId}". Ensure that the check ID is passed, not the check name.`,
      )
    if (check.def.type !== 'ttl')
      throw new BadRequestError(`CheckID "${checkId}" does not have associated TTL`)
    this.catalog.setCheckStatus(checkId, status, output)
    this.runner.refreshTtl(check.def)
  }

  stop(): void {
    clearInterval(this.reaper)
    this.runner.stopAll()
  }

  private parseCheck(
    def: Json,
    service: { ID: string; Service: string },
    suffix: string,
  ): CheckState {
    for (const k of UNSUPPORTED_CHECKS) {
      if (field(def, k) !== undefined)
        throw new BadRequestError(
          `Invalid check: ${k} checks are not supported by the devstack Consul (HTTP, TCP and TTL are)`,
        )
    }
    const http = str(def, 'HTTP')
    const tcp = str(def, 'TCP')
    const ttlMs = duration(def, 'TTL')
    const kinds = [http, tcp, ttlMs].filter((x) => x !== undefined).length
    if (kinds !== 1)
      throw new BadRequestError('Invalid check: exactly one of HTTP, TCP or TTL must be set')
    const intervalMs = duration(def, 'Interval')
    if ((http || tcp) && !(intervalMs && intervalMs > 0))
      throw new BadRequestError('Invalid check: Interval must be > 0 for HTTP and TCP checks')
    if (ttlMs !== undefined && ttlMs <= 0)
      throw new BadRequestError('Invalid check: TTL must be > 0 for TTL checks')
    if (http) {
      try {
        new URL(http)
      } catch {
        throw new BadRequestError(`Invalid check: HTTP "${http}" is not a URL`)
      }
    }
    const timeoutMs = duration(def, 'Timeout') ?? 10_000
    const deregisterAfter = duration(def, 'DeregisterCriticalServiceAfter')
    const status = (str(def, 'Status') ?? 'critical') as CheckStatus
    if (!['passing', 'warning', 'critical'].includes(status))
      throw new BadRequestError(`Invalid check status: "${status}"`)
    const checkId = str(def, 'CheckID') || str(def, 'ID') || `service:${service.ID}${suffix}`
    const parsed: CheckDefinition = {
      CheckID: checkId,
      Name: str(def, 'Name') || `Service '${service.Service}' check`,
      Notes: str(def, 'Notes') ?? '',
      ServiceID: service.ID,
      type: http ? 'http' : tcp ? 'tcp' : 'ttl',
      http: http
        ? {
            url: http,
            method: str(def, 'Method') || 'GET',
            header: (field(def, 'Header') as Record<string, string[]>) ?? {},
            body: str(def, 'Body'),
          }
        : undefined,
      tcp,
      intervalMs: intervalMs ?? 0,
      timeoutMs,
      ttlMs: ttlMs ?? 0,
      deregisterCriticalAfterMs: deregisterAfter ?? null,
      text: {
        Interval: intervalMs ? formatDuration(intervalMs) : '',
        Timeout: http || tcp ? formatDuration(timeoutMs) : '',
        TTL: ttlMs ? formatDuration(ttlMs) : '',
        DeregisterCriticalServiceAfter: deregisterAfter ? formatDuration(deregisterAfter) : '',
      },
    }
    return {
      def: parsed,
      Status: status,
      Output: '',
      CreateIndex: 0,
      ModifyIndex: 0,
      criticalSince: status === 'critical' ? Date.now() : null,
    }
  }

  /** Deregisters services with a check critical for longer than its DeregisterCriticalServiceAfter (at least the minimum). */
  private reapCritical(now = Date.now()): void {
    for (const check of [...this.catalog.checks.values()]) {
      const after = check.def.deregisterCriticalAfterMs
      if (after === null || check.criticalSince === null) continue
      if (now - check.criticalSince >= Math.max(after, this.options.minDeregisterCriticalMs)) {
        this.deregisterService(check.def.ServiceID)
      }
    }
  }
}
