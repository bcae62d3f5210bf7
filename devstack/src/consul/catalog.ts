/**
 * The single node's catalog: services, checks and KV, with the modify indexes
 * that blocking queries wait on.
 *
 * Every write takes the next index (Consul's Raft index). Each query reports the
 * highest index of what it returns (including tombstones of deleted entries), so a
 * blocking query wakes when, and only when, something it covers changed.
 * Source: https://developer.hashicorp.com/consul/api-docs/features/blocking
 */
import type { AgentService, CheckState, CheckStatus, KvEntry } from './model.ts'

export class Catalog {
  /** The last index handed out; never 0, since clients treat 0 as an error. */
  index = 1
  readonly services = new Map<string, AgentService>()
  readonly checks = new Map<string, CheckState>()
  private readonly serviceIndexes = new Map<string, number>()
  private catalogIndex = 1
  private checksIndex = 1
  private readonly kv = new Map<string, KvEntry>()
  private readonly kvTombstones = new Map<string, number>()
  private kvIndex = 1
  private readonly waiters = new Set<() => void>()

  /** Adds or replaces a service and its checks. Checks whose definition is unchanged keep their status. */
  putService(
    service: Omit<AgentService, 'CreateIndex' | 'ModifyIndex'>,
    checks: CheckState[],
  ): { removed: string[]; added: CheckState[] } {
    const index = this.next()
    const existing = this.services.get(service.ID)
    this.services.set(service.ID, {
      ...service,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
    })
    const removed: string[] = []
    for (const [id, c] of this.checks) {
      if (c.def.ServiceID === service.ID && !checks.some((n) => n.def.CheckID === id)) {
        this.checks.delete(id)
        removed.push(id)
      }
    }
    const added: CheckState[] = []
    for (const check of checks) {
      const old = this.checks.get(check.def.CheckID)
      if (old && sameTarget(old, check)) {
        old.def = check.def
        old.ModifyIndex = index
        continue
      }
      if (old) removed.push(old.def.CheckID)
      check.CreateIndex = index
      check.ModifyIndex = index
      this.checks.set(check.def.CheckID, check)
      added.push(check)
    }
    this.touchService(service.Service, index)
    if (existing && existing.Service !== service.Service) this.touchService(existing.Service, index)
    this.catalogIndex = index
    this.checksIndex = index
    this.notify()
    return { removed, added }
  }

  /** Removes a service and its checks; returns the removed check ids, or null if unknown. */
  removeService(id: string): string[] | null {
    const service = this.services.get(id)
    if (!service) return null
    const index = this.next()
    this.services.delete(id)
    const removed: string[] = []
    for (const [checkId, c] of this.checks) {
      if (c.def.ServiceID === id) {
        this.checks.delete(checkId)
        removed.push(checkId)
      }
    }
    this.touchService(service.Service, index)
    this.catalogIndex = index
    this.checksIndex = index
    this.notify()
    return removed
  }

  /**
   * Records a check result. The index moves only when the status changes, as
   * Consul coalesces output-only updates, so watchers are not woken by output noise.
   */
  setCheckStatus(checkId: string, status: CheckStatus, output: string, now = Date.now()): boolean {
    const check = this.checks.get(checkId)
    if (!check) return false
    check.Output = output
    if (check.Status === status) return true
    check.Status = status
    check.criticalSince = status === 'critical' ? now : null
    const index = this.next()
    check.ModifyIndex = index
    this.checksIndex = index
    const service = this.services.get(check.def.ServiceID)
    if (service) this.touchService(service.Service, index)
    this.notify()
    return true
  }

  /** Index covering everything about service `name` (instances and their checks), or the catalog's if it never existed. */
  serviceIndex(name: string): number {
    return this.serviceIndexes.get(name) ?? this.catalogIndex
  }

  catalogServicesIndex(): number {
    return this.catalogIndex
  }

  checksTableIndex(): number {
    return this.checksIndex
  }

  // --- KV -------------------------------------------------------------------

  kvGet(key: string): KvEntry | undefined {
    return this.kv.get(key)
  }

  /** Entries whose key starts with `prefix`, sorted by key. */
  kvList(prefix: string): KvEntry[] {
    return [...this.kv.values()]
      .filter((e) => e.Key.startsWith(prefix))
      .sort((a, b) => (a.Key < b.Key ? -1 : 1))
  }

  /**
   * Writes a key. With `cas`, writes only if the key's ModifyIndex equals it
   * (0: only if the key does not exist). Returns whether it wrote.
   */
  kvPut(key: string, value: Uint8Array | null, flags: number, cas?: number): boolean {
    const existing = this.kv.get(key)
    if (cas !== undefined && (existing?.ModifyIndex ?? 0) !== cas) return false
    const index = this.next()
    this.kv.set(key, {
      Key: key,
      Flags: flags,
      Value: value,
      LockIndex: 0,
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
    })
    this.kvTombstones.delete(key)
    this.kvIndex = index
    this.notify()
    return true
  }

  /** Deletes a key, or every key under a prefix with `recurse`. With `cas`, a single key only if its ModifyIndex matches. */
  kvDelete(key: string, recurse: boolean, cas?: number): boolean {
    const targets = recurse ? this.kvList(key).map((e) => e.Key) : this.kv.has(key) ? [key] : []
    if (cas !== undefined && !recurse && (this.kv.get(key)?.ModifyIndex ?? 0) !== cas) return false
    if (targets.length === 0) return true
    const index = this.next()
    for (const k of targets) {
      this.kv.delete(k)
      this.kvTombstones.set(k, index)
    }
    this.kvIndex = index
    this.notify()
    return true
  }

  /** Index for a KV read of `key` (or everything under it with `prefix`), tombstones included. */
  kvReadIndex(key: string, prefix: boolean): number {
    let max = 0
    for (const e of prefix ? this.kvList(key) : [this.kv.get(key)].filter((e) => e !== undefined))
      max = Math.max(max, e.ModifyIndex)
    for (const [k, i] of this.kvTombstones)
      if (prefix ? k.startsWith(key) : k === key) max = Math.max(max, i)
    return max || this.kvIndex
  }

  // --- blocking queries ------------------------------------------------------

  /**
   * Resolves once `currentIndex()` exceeds `after`, or after `waitMs`, or when
   * `signal` aborts. Re-evaluated after every write, so it returns as soon as the
   * watched result changes.
   */
  waitForChange(
    currentIndex: () => number,
    after: number,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (currentIndex() > after || waitMs <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const check = () => {
        if (currentIndex() > after) done()
      }
      const timer = setTimeout(done, waitMs)
      this.waiters.add(check)
      signal?.addEventListener('abort', done)
    })
  }

  private next(): number {
    this.index += 1
    return this.index
  }

  private touchService(name: string, index: number): void {
    this.serviceIndexes.set(name, index)
  }

  private notify(): void {
    for (const w of [...this.waiters]) w()
  }
}

function sameTarget(a: CheckState, b: CheckState): boolean {
  const x = a.def
  const y = b.def
  return (
    x.type === y.type &&
    x.http?.url === y.http?.url &&
    x.tcp === y.tcp &&
    x.ttlMs === y.ttlMs &&
    x.intervalMs === y.intervalMs
  )
}
