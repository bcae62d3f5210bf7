/**
 * Runs wrk (Debian package `wrk`, installed by {@link ensureDebianPackages} when
 * missing and root) and parses its `--latency` report: requests/s and the latency
 * percentiles it prints (50/75/90/99). wrk is an event-loop C client, so it costs
 * far less CPU than a JS load generator on a shared 2-core machine.
 */

export interface WrkResult {
  perSecond: number
  requests: number
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number
  ms: { p50: number; p75: number; p90: number; p99: number }
}

// Microseconds divide (not multiply by 0.001) so 102us is exactly 0.102 ms.
const toMs: Record<string, (x: number) => number> = {
  us: (x) => x / 1000,
  ms: (x) => x,
  s: (x) => x * 1000,
  m: (x) => x * 60_000,
}

/**
 * Parses wrk's `--latency` output.
 * @throws when the report lacks requests/s or the latency distribution.
 */
export function parseWrk(output: string): WrkResult {
  const perSecond = /Requests\/sec:\s+([\d.]+)/.exec(output)
  const requests = /(\d+) requests in/.exec(output)
  if (!perSecond || !requests) throw new Error(`not a wrk report:\n${output}`)
  const pct = (p: number) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output)
    if (!m) throw new Error(`wrk report has no ${p}% latency:\n${output}`)
    return toMs[m[2]!]!(Number(m[1]))
  }
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const errors =
    Number(non2xx?.[1] ?? 0) + (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0)
  return {
    perSecond: Number(perSecond[1]),
    requests: Number(requests[1]),
    errors,
    ms: { p50: pct(50), p75: pct(75), p90: pct(90), p99: pct(99) },
  }
}

/**
 * @example await wrk('http://127.0.0.1:8080/feed', { connections: 50, seconds: 10, headers: { authorization } })
 */
export async function wrk(
  url: string,
  o: {
    connections: number
    seconds: number
    headers?: Record<string, string>
    /** A Lua script (`-s`): its `request()` builds each request. */
    script?: string
  },
): Promise<WrkResult> {
  const cmd = [
    'wrk',
    '-t1',
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--latency',
    ...Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(o.script ? ['-s', o.script] : []),
    url,
  ]
  const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new Error(`wrk failed (${code}): ${err}`)
  return parseWrk(out)
}

/**
 * Installs Debian packages whose binaries are missing (apt-get; needs root).
 * @throws when a binary is still missing afterwards.
 */
export async function ensureDebianPackages(binaries: Record<string, string>): Promise<void> {
  const missing = Object.entries(binaries).filter(
    ([bin]) => !Bun.which(bin, { PATH: `${process.env.PATH}:/usr/sbin` }),
  )
  if (missing.length === 0) return
  const packages = missing.map(([, pkg]) => pkg)
  console.error(`bench: installing ${packages.join(', ')} from Debian`)
  const run = (cmd: string[]) =>
    Bun.spawn(cmd, {
      stdout: 'ignore',
      stderr: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).exited
  await run(['apt-get', 'update', '-qq'])
  await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages])
  for (const [bin, pkg] of missing)
    if (!Bun.which(bin, { PATH: `${process.env.PATH}:/usr/sbin` }))
      throw new Error(`${bin} is missing and installing ${pkg} failed (are you root?)`)
}
