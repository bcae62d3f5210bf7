/**
 * Password hashing with argon2id (Bun.password), bounded: at most `concurrency`
 * hashes run at once and at most `queue` wait; past that a request is refused at
 * once with 503 and Retry-After (load shedding), instead of piling up until the
 * gateway's timeout turns it into a 504. Each argon2id hash holds `memoryKiB` of
 * memory, so the bound also caps the service's memory under a login flood.
 *
 * Parameters: argon2id, m = 64 MiB, t = 2, p = 1 (Bun's defaults, set here
 * explicitly). OWASP's Password Storage Cheat Sheet asks for at least
 * m = 19 MiB, t = 2, p = 1 (or an equivalent trade of memory for passes); these
 * exceed it. Stored hashes carry their parameters (PHC string format), so
 * changing them affects only new hashes.
 */
import { availableParallelism } from 'node:os'
import { AppError } from '@civildiy/kit'

export interface PasswordHasherOptions {
  /** Hashes at once. Default: the number of cores. */
  concurrency?: number
  /** Requests allowed to wait for a slot. Default: 2 × concurrency. */
  queue?: number
  /** argon2id memory cost, KiB. Default 65536 (64 MiB). */
  memoryKiB?: number
  /** argon2id passes. Default 2. */
  timeCost?: number
  /** Seconds a refused client is told to wait. Default 1. */
  retryAfterSec?: number
}

export interface PasswordHasher {
  /** @throws AppError 503 `overloaded` with Retry-After when the queue is full. */
  hash(password: string): Promise<string>
  /** @throws AppError 503 `overloaded` with Retry-After when the queue is full. */
  verify(password: string, hash: string): Promise<boolean>
  /** Hashes running and waiting now. */
  load(): { running: number; waiting: number }
}

/**
 * @example
 * const hasher = createPasswordHasher({ concurrency: 2, queue: 4 })
 * const ok = await hasher.verify(password, row.password_hash)
 */
export function createPasswordHasher(o: PasswordHasherOptions = {}): PasswordHasher {
  const concurrency = o.concurrency ?? availableParallelism()
  const queueLimit = o.queue ?? 2 * concurrency
  const params = {
    algorithm: 'argon2id' as const,
    memoryCost: o.memoryKiB ?? 65_536,
    timeCost: o.timeCost ?? 2,
  }
  const waiting: (() => void)[] = []
  let running = 0
  const overloaded = () =>
    new AppError(503, 'overloaded', 'Too many logins are being checked; retry shortly', {
      headers: { 'retry-after': String(o.retryAfterSec ?? 1) },
    })
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= concurrency) {
      if (waiting.length >= queueLimit) throw overloaded()
      await new Promise<void>((resolve) => waiting.push(resolve))
    } else running++
    try {
      return await work()
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = waiting.shift()
      if (next) next()
      else running--
    }
  }
  return {
    hash: (password) => run(() => Bun.password.hash(password, params)),
    verify: (password, hash) => run(() => Bun.password.verify(password, hash)),
    load: () => ({ running, waiting: waiting.length }),
  }
}
