/**
 * Name resolution as the services see it (the system resolver: hosts file, then
 * DNS per resolv.conf), with the time it took and where the answer came from.
 */
import { lookup } from 'node:dns/promises'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'

export interface Resolution {
  ok: boolean
  addresses: string[]
  ms: number
  /** `literal`, `hosts file`, or `dns` (the resolv.conf nameservers). */
  source?: 'literal' | 'hosts file' | 'dns'
  error?: string
}

function inHostsFile(name: string): boolean {
  try {
    return readFileSync('/etc/hosts', 'utf8')
      .split('\n')
      .some((line) => line.replace(/#.*/, '').trim().split(/\s+/).slice(1).includes(name))
  } catch {
    return false
  }
}

/**
 * @example await resolveName('kafka') // { ok: true, addresses: ['172.18.0.4'], source: 'dns', ms: 0.8 }
 */
export async function resolveName(name: string, timeoutMs = 3_000): Promise<Resolution> {
  if (isIP(name)) return { ok: true, addresses: [name], ms: 0, source: 'literal' }
  const t0 = performance.now()
  try {
    const answers = await Promise.race([
      lookup(name, { all: true }),
      Bun.sleep(timeoutMs).then(() => {
        throw Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEOUT' })
      }),
    ])
    return {
      ok: answers.length > 0,
      addresses: answers.map((a) => a.address),
      ms: performance.now() - t0,
      source: inHostsFile(name) ? 'hosts file' : 'dns',
    }
  } catch (err) {
    return {
      ok: false,
      addresses: [],
      ms: performance.now() - t0,
      error: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
    }
  }
}
