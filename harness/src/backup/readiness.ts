/**
 * Waits until every service of the stack answers `/health/ready` with 200 again:
 * after its stores were stopped, replaced and started, a service's pool may need
 * seconds to give up its dead connections, and the stack is not back until it has.
 */

/**
 * @param services service name to base URL (the stack file's `services`).
 * @returns ms until all were ready, or null with the ones still not ready after `timeoutMs`.
 * @example const r = await untilReady(stack.services, 60_000) // { ms: 5210, notReady: [] }
 */
export async function untilReady(
  services: Record<string, string>,
  timeoutMs: number,
): Promise<{ ms: number | null; notReady: string[] }> {
  const t0 = performance.now()
  let notReady = Object.keys(services)
  while (performance.now() - t0 < timeoutMs) {
    const answers = await Promise.all(
      notReady.map(async (name) => {
        const res = await fetch(`${services[name]}/health/ready`, {
          signal: AbortSignal.timeout(2_000),
        }).catch(() => null)
        return res?.status === 200 ? null : name
      }),
    )
    notReady = answers.filter((n): n is string => n !== null)
    if (notReady.length === 0) return { ms: performance.now() - t0, notReady }
    await Bun.sleep(100)
  }
  return { ms: null, notReady }
}
