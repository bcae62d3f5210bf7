/**
 * Waits until every service of the stack answers `/health/ready` with 200 again
 * and, when a Consul address is given, until Consul reports a passing instance
 * of it: after its stores were stopped, replaced and started, a service's pool
 * may need seconds to give up its dead connections, and Consul's health check
 * sees the recovery only at its next interval. The stack is not back until the
 * gateway can route to every service again.
 */

/**
 * @param services service name to base URL (the stack file's `services`).
 * @param consul the stack's Consul base URL and ACL token; when given, a service also needs a passing instance there.
 * @returns ms until all were ready, or null with the ones still not ready after `timeoutMs`.
 * @example const r = await untilReady(stack.services, 60_000, { url: stack.consul }) // { ms: 5210, notReady: [] }
 */
export async function untilReady(
  services: Record<string, string>,
  timeoutMs: number,
  consul?: { url: string; token?: string },
): Promise<{ ms: number | null; notReady: string[] }> {
  const t0 = performance.now()
  let notReady = Object.keys(services)
  while (performance.now() - t0 < timeoutMs) {
    const answers = await Promise.all(
      notReady.map(async (name) => {
        const ready = await answersReady(services[name] as string)
        const passing = ready && (consul === undefined || (await passingInConsul(consul, name)))
        return passing ? null : name
      }),
    )
    notReady = answers.filter((n): n is string => n !== null)
    if (notReady.length === 0) return { ms: performance.now() - t0, notReady }
    await Bun.sleep(100)
  }
  return { ms: null, notReady }
}

async function answersReady(base: string): Promise<boolean> {
  const res = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(2_000) }).catch(
    () => null,
  )
  return res?.status === 200
}

/** Whether Consul lists at least one instance of `service` with every check passing. */
async function passingInConsul(
  consul: { url: string; token?: string },
  service: string,
): Promise<boolean> {
  const { url, token } = consul
  const res = await fetch(`${url}/v1/health/service/${encodeURIComponent(service)}?passing`, {
    signal: AbortSignal.timeout(2_000),
    headers: token ? { 'x-consul-token': token } : {},
  }).catch(() => null)
  if (res?.status !== 200) return false
  const entries = (await res.json().catch(() => [])) as unknown[]
  return Array.isArray(entries) && entries.length > 0
}
