/**
 * What a running process uses, read from Linux /proc: resident memory and CPU
 * time. For benchmarks that watch the processes they spawned.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { RedisClient } from 'bun'

/**
 * Resident memory (VmRSS) of a process in MiB, or null when /proc cannot be read
 * (the process is gone, or this is not Linux).
 * @example rssMiB(proc.pid) // 62.1
 */
export function rssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
  } catch {
    return null
  }
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat
 * (fields 14 and 15, in USER_HZ ticks, which Linux fixes at 100 per second).
 * @throws when /proc cannot be read.
 * @example const before = cpuSeconds(pid); await Bun.sleep(3000); const busy = (cpuSeconds(pid) - before) / 3
 */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * CPU seconds (user + system) used so far by a process and its live descendants
 * (found through /proc/<pid>/task/<tid>/children), e.g. an nginx master and its
 * worker. Descendants that already exited are not counted.
 * @throws when /proc cannot be read for `pid`.
 * @example const before = treeCpuSeconds(nginx.pid)
 */
export function treeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid)
  for (const child of childPids(pid)) {
    try {
      total += treeCpuSeconds(child)
    } catch {
      // The child exited between the listing and the read.
    }
  }
  return total
}

function childPids(pid: number): number[] {
  const out: number[] = []
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
      if (text) out.push(...text.split(' ').map(Number))
    } catch {
      // The thread exited.
    }
  }
  return out
}

/**
 * CPU seconds (user + system) a Redis server has used so far, from `INFO cpu`
 * (`used_cpu_user` + `used_cpu_sys`); for servers a benchmark reaches only by
 * connection.
 * @throws when the command fails.
 * @example const before = await redisCpuSeconds(client)
 */
export async function redisCpuSeconds(client: RedisClient): Promise<number> {
  const info = String(await client.send('INFO', ['cpu']))
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0)
  return field('used_cpu_user') + field('used_cpu_sys')
}

/**
 * Calls per command a Redis server has answered so far, from `INFO commandstats`
 * (`cmdstat_<name>:calls=N,...`; commands run inside scripts are counted too).
 * Subtract two readings to count the commands of a run.
 * @throws when the command fails.
 * @example const before = await redisCommandCalls(client)
 */
export async function redisCommandCalls(client: RedisClient): Promise<Map<string, number>> {
  const info = String(await client.send('INFO', ['commandstats']))
  const out = new Map<string, number>()
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    out.set(name!, Number(calls))
  return out
}

/**
 * The commands per operation between two {@link redisCommandCalls} readings, most
 * frequent first, e.g. `zrange 1.00, xrevrange 1.00, mget 0.12`; commands under
 * 0.01 per operation are left out.
 */
export function commandsPer(
  before: Map<string, number>,
  after: Map<string, number>,
  operations: number,
): string {
  return [...after]
    .map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / operations] as const)
    .filter(([, per]) => per >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, per]) => `${name} ${per.toFixed(2)}`)
    .join(', ')
}
