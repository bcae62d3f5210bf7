/**
 * Liveness and readiness endpoints. `/health/live` answers 200 while the process
 * runs; `/health/ready` runs every dependency check (database ping, broker
 * connected...) with a timeout and answers 503 when one fails, else 200 with
 * status `pass`, or `degraded` when a check says what the service cannot do now
 * (the feed with its broker down still serves reads), with each check's status
 * and duration in ms. Consul's HTTP check points at
 * `/health/ready?instance=<service id>`, so an instance whose database is down
 * leaves discovery, and so does a registration whose process died: the process
 * that reuses its port answers 503 for an id that is not its own.
 */
import { Elysia } from 'elysia'

/**
 * A dependency check: resolves when healthy, throws (or times out) when not. May
 * return details; details with a `degraded` reason mark it `degraded`: the service
 * still serves (readiness stays 200) but says what it cannot do right now.
 */
export interface HealthCheck {
  name: string
  check: () => Promise<void | Record<string, unknown>>
  /** Milliseconds before the check counts as failed. Default 1000. */
  timeoutMs?: number
}

export interface CheckResult {
  status: 'pass' | 'degraded' | 'fail'
  durationMs: number
  error?: string
  details?: Record<string, unknown>
}

/** Runs every check in parallel. */
export async function runChecks(
  checks: HealthCheck[],
): Promise<{ status: 'pass' | 'degraded' | 'fail'; checks: Record<string, CheckResult> }> {
  const results = await Promise.all(
    checks.map(async (c): Promise<[string, CheckResult]> => {
      const t0 = performance.now()
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        const details = await Promise.race([
          c.check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`timed out after ${c.timeoutMs ?? 1000} ms`)),
              c.timeoutMs ?? 1000,
            )
          }),
        ])
        return [
          c.name,
          {
            status: details && 'degraded' in details ? 'degraded' : 'pass',
            durationMs: round(performance.now() - t0),
            ...(details ? { details } : {}),
          },
        ]
      } catch (err) {
        return [
          c.name,
          {
            status: 'fail',
            durationMs: round(performance.now() - t0),
            error: (err as Error).message,
          },
        ]
      } finally {
        clearTimeout(timer)
      }
    }),
  )
  return {
    status: results.some(([, r]) => r.status === 'fail')
      ? 'fail'
      : results.some(([, r]) => r.status === 'degraded')
        ? 'degraded'
        : 'pass',
    checks: Object.fromEntries(results),
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

/**
 * @example new Elysia().use(healthRoutes(() => [{ name: 'postgres', check: async () => void (await sql`select 1`) }]))
 */
export function healthRoutes(
  checks: () => HealthCheck[],
  isShuttingDown: () => boolean = () => false,
  instanceId: () => string | undefined = () => undefined,
) {
  return new Elysia({ name: '@civildiy/kit/health' })
    .get('/health/live', () => ({ status: 'pass' }), { detail: { hide: true } })
    .get(
      '/health/ready',
      async ({ set, query }) => {
        if (isShuttingDown()) {
          set.status = 503
          return { status: 'fail', reason: 'shutting down', checks: {} }
        }
        const own = instanceId()
        const asked = (query as Record<string, string | undefined>).instance
        if (asked && own && asked !== own) {
          // Consul checking a registration of a process that is gone, on the port we reuse.
          set.status = 503
          return { status: 'fail', reason: `this is instance ${own}, not ${asked}`, checks: {} }
        }
        const result = await runChecks(checks())
        set.status = result.status === 'fail' ? 503 : 200
        return result
      },
      { detail: { hide: true } },
    )
}
