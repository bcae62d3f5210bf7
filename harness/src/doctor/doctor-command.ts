/**
 * `harness doctor [--consul URL] [--kafka HOST:PORT] [--json]`: prints the
 * environment and a table of checks (pass/fail, detail, fix), exits 1 on any
 * failure. Defaults come from `.data/stack.json`.
 */

import { expectedServices } from '../check/check.ts'
import { type ProbeTls, probeTlsFromFlags, TLS_FLAGS, TLS_USAGE } from '../check/probes.ts'
import { parseCommandFlags, positiveNumber } from '../command-args.ts'
import { markdownTable } from '../report/stats.ts'
import { readStackFile } from '../stack-file.ts'
import { type DoctorReport, runDoctor } from './doctor.ts'

const USAGE = `Usage: harness doctor [options]

  --consul URL        the Consul HTTP API (default: from .data/stack.json)
  --consul-token T    a Consul ACL token that may read the catalog (default: CONSUL_HTTP_TOKEN)
${TLS_USAGE}
  --kafka LIST        Kafka bootstrap servers host:port,... (default: from .data/stack.json)
  --mongo URL --postgres URL --redis URL   other servers to reach
  --services LIST     expected services (default auth,profile,posts,feed,search,notifications,gateway)
  --timeout-ms MS     per probe (default 2000)
  --json              print the report as JSON`

export function renderDoctor(r: DoctorReport): string {
  const e = r.environment
  const env = [
    `runtime: ${e.runtime}`,
    `resolv.conf: ${e.resolvConf ? `nameservers ${e.resolvConf.nameservers.join(', ') || 'none'}; search ${e.resolvConf.search.join(' ') || '-'}${e.resolvConf.note ? ` (${e.resolvConf.note})` : ''}` : 'unreadable'}`,
    `default route: ${e.defaultRoute ? `${e.defaultRoute.gateway} via ${e.defaultRoute.interface}, MTU ${e.defaultRoute.mtu ?? '?'}` : 'none'}`,
    `sysctls: ${Object.entries(e.sysctls)
      .map(([k, v]) => `${k}=${v ?? 'n/a'}`)
      .join(', ')}`,
  ].join('\n')
  const table = markdownTable(
    ['target', 'check', 'result', 'detail', 'fix'],
    r.checks.map((c) => [c.target, c.check, c.ok ? 'pass' : 'FAIL', c.detail, c.fix ?? '']),
  )
  return `${env}\n\n${table}\n\n${r.ok ? 'doctor: no problems found' : 'doctor: problems found (see fix column)'}`
}

export async function doctorCommand(argv: string[]): Promise<number> {
  const v = parseCommandFlags(
    'doctor',
    argv,
    {
      consul: { type: 'string' },
      'consul-token': { type: 'string' },
      ...TLS_FLAGS,
      kafka: { type: 'string' },
      mongo: { type: 'string' },
      postgres: { type: 'string' },
      redis: { type: 'string' },
      services: { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
  )
  if (typeof v === 'number') return v
  let timeoutMs: number | undefined
  try {
    timeoutMs = v['timeout-ms'] === undefined ? undefined : positiveNumber(v, 'timeout-ms', 0)
  } catch (err) {
    console.error(`harness doctor: ${(err as Error).message}`)
    return 2
  }
  const stack = await readStackFile()
  const consul = (v.consul as string | undefined) ?? stack?.consul
  if (!consul) {
    console.error('harness doctor: no running stack found (.data/stack.json); pass --consul')
    return 2
  }
  const servers: Record<string, string> = {}
  for (const name of ['mongo', 'postgres', 'redis'] as const) {
    const url = (v[name] as string | undefined) ?? stack?.servers[name]
    if (url && /^[a-z]+:\/\//.test(url)) servers[name] = url
  }
  let tls: ProbeTls | undefined
  try {
    tls = probeTlsFromFlags(v)
  } catch (err) {
    console.error(`harness doctor: ${(err as Error).message}`)
    return 2
  }
  const report = await runDoctor({
    consul: consul.includes('://') ? consul : `http://${consul}`,
    consulToken: (v['consul-token'] as string | undefined) ?? process.env.CONSUL_HTTP_TOKEN,
    tls,
    kafka: (v.kafka as string | undefined) ?? stack?.servers.kafka,
    servers,
    expected:
      (v.services as string | undefined)?.split(',').map((s) => s.trim()) ?? expectedServices,
    timeoutMs,
  })
  console.log(v.json ? JSON.stringify(report, null, 2) : renderDoctor(report))
  return report.ok ? 0 : 1
}
