/**
 * Shapes of the Consul agent API objects, with Consul's own field names and
 * casing. Source: https://developer.hashicorp.com/consul/api-docs/agent/service,
 * .../agent/check, .../health, .../catalog, .../kv
 */

export type CheckStatus = 'passing' | 'warning' | 'critical'
export type CheckType = 'http' | 'tcp' | 'ttl'

/** A registered service instance, as `/v1/agent/services` shows it. */
export interface AgentService {
  ID: string
  Service: string
  Tags: string[]
  Meta: Record<string, string>
  Port: number
  Address: string
  TaggedAddresses: Record<string, { Address: string; Port: number }>
  Weights: { Passing: number; Warning: number }
  EnableTagOverride: boolean
  Datacenter: string
  CreateIndex: number
  ModifyIndex: number
}

/** What a check does, parsed from a registration. Durations in ms. */
export interface CheckDefinition {
  CheckID: string
  Name: string
  Notes: string
  ServiceID: string
  type: CheckType
  http?: { url: string; method: string; header: Record<string, string[]>; body?: string }
  tcp?: string
  intervalMs: number
  timeoutMs: number
  ttlMs: number
  deregisterCriticalAfterMs: number | null
  /** Text forms kept for the API (Interval, Timeout, TTL, DeregisterCriticalServiceAfter). */
  text: { Interval: string; Timeout: string; TTL: string; DeregisterCriticalServiceAfter: string }
}

/** A check with its live status. */
export interface CheckState {
  def: CheckDefinition
  Status: CheckStatus
  Output: string
  CreateIndex: number
  ModifyIndex: number
  /** When it last turned critical (ms since epoch), null while not critical. */
  criticalSince: number | null
}

/** A KV entry; `Value` is kept raw and base64-encoded on the way out. */
export interface KvEntry {
  Key: string
  Flags: number
  Value: Uint8Array | null
  LockIndex: number
  CreateIndex: number
  ModifyIndex: number
}
