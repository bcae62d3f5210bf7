/**
 * The doctor against real network faults, built with Linux network namespaces:
 * a "client" namespace (where the doctor runs) joined by a veth pair to a
 * "server" namespace (Consul, Kafka, one service). Names resolve through
 * per-namespace hosts files (`/etc/netns/<ns>/hosts`, bind-mounted by
 * `ip netns exec`). Needs root and iproute2; skipped loudly otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DoctorReport } from './doctor.ts'

const id = Math.random().toString(36).slice(2, 7)
const cli = `doc-cli-${id}`
const srv = `doc-srv-${id}`
const octet = 100 + Math.floor(Math.random() * 100)
const cliIp = `10.201.${octet}.1`
const srvIp = `10.201.${octet}.2`
// A second link between the namespaces, for the MTU test only.
const cliIp2 = `10.202.${octet}.1`
const srvIp2 = `10.202.${octet}.2`
const root = join(import.meta.dir, '..', '..', '..')

function sh(cmd: string[]): { ok: boolean; err: string } {
  const r = Bun.spawnSync(cmd, { stdout: 'ignore', stderr: 'pipe' })
  return { ok: r.exitCode === 0, err: r.stderr.toString().trim() }
}

let skipReason: string | null = null
if (process.getuid?.() !== 0) skipReason = 'needs root (ip netns)'
else if (!Bun.which('ip', { PATH: `${process.env.PATH}:/usr/sbin:/sbin` }))
  skipReason = 'iproute2 (ip) is not installed'
else {
  const probe = sh(['ip', 'netns', 'add', cli])
  if (!probe.ok) skipReason = `cannot create network namespaces: ${probe.err}`
}
if (skipReason) console.warn(`SKIPPED doctor network-namespace tests: ${skipReason}`)

let fixture: ReturnType<typeof Bun.spawn> | undefined

async function doctor(args: string[]): Promise<DoctorReport> {
  const proc = Bun.spawn(
    [
      'ip',
      'netns',
      'exec',
      cli,
      process.execPath,
      join(root, 'harness/src/cli.ts'),
      'doctor',
      '--json',
      ...args,
    ],
    {
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    },
  )
  const [out, err] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  await proc.exited
  try {
    return JSON.parse(out) as DoctorReport
  } catch {
    throw new Error(`doctor printed no report:\n${out}\n${err}`)
  }
}

describe.skipIf(skipReason !== null)('harness doctor in network namespaces', () => {
  beforeAll(async () => {
    const steps = [
      ['ip', 'netns', 'add', srv],
      ['ip', 'link', 'add', `vc${id}`, 'type', 'veth', 'peer', 'name', `vs${id}`],
      ['ip', 'link', 'set', `vc${id}`, 'netns', cli],
      ['ip', 'link', 'set', `vs${id}`, 'netns', srv],
      ['ip', '-n', cli, 'addr', 'add', `${cliIp}/24`, 'dev', `vc${id}`],
      ['ip', '-n', srv, 'addr', 'add', `${srvIp}/24`, 'dev', `vs${id}`],
      ['ip', '-n', cli, 'link', 'set', `vc${id}`, 'up'],
      ['ip', '-n', srv, 'link', 'set', `vs${id}`, 'up'],
      ['ip', 'link', 'add', `wc${id}`, 'type', 'veth', 'peer', 'name', `ws${id}`],
      ['ip', 'link', 'set', `wc${id}`, 'netns', cli],
      ['ip', 'link', 'set', `ws${id}`, 'netns', srv],
      ['ip', '-n', cli, 'addr', 'add', `${cliIp2}/24`, 'dev', `wc${id}`],
      ['ip', '-n', srv, 'addr', 'add', `${srvIp2}/24`, 'dev', `ws${id}`],
      ['ip', '-n', cli, 'link', 'set', `wc${id}`, 'up'],
      ['ip', '-n', srv, 'link', 'set', `ws${id}`, 'up'],
      ['ip', '-n', cli, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', srv, 'link', 'set', 'lo', 'up'],
    ]
    for (const s of steps) {
      const r = sh(s)
      if (!r.ok) throw new Error(`${s.join(' ')}: ${r.err}`)
    }
    mkdirSync(`/etc/netns/${cli}`, { recursive: true })
    mkdirSync(`/etc/netns/${srv}`, { recursive: true })
    writeFileSync(
      `/etc/netns/${cli}/hosts`,
      `127.0.0.1 localhost\n${srvIp} consul.civildiy.test kafka.civildiy.test svc.civildiy.test\n`,
    )
    writeFileSync(`/etc/netns/${srv}/hosts`, `127.0.0.1 localhost\n${srvIp} kafka-internal\n`)
    fixture = Bun.spawn(
      [
        'ip',
        'netns',
        'exec',
        srv,
        process.execPath,
        join(import.meta.dir, 'netns-fixture.ts'),
        srvIp,
        srvIp2,
      ],
      { stdout: 'pipe', stderr: 'inherit' },
    )
    const reader = (fixture.stdout as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('ready')) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`the fixture exited: ${text}`)
      text += new TextDecoder().decode(value)
    }
  }, 30_000)

  afterAll(async () => {
    fixture?.kill('SIGTERM')
    await fixture?.exited
    sh(['ip', 'netns', 'del', cli])
    sh(['ip', 'netns', 'del', srv])
    rmSync(`/etc/netns/${cli}`, { recursive: true, force: true })
    rmSync(`/etc/netns/${srv}`, { recursive: true, force: true })
  })

  test('healthy instances pass; no route, missing names and an internal Kafka listener are named', async () => {
    const r = await doctor([
      '--consul',
      'http://consul.civildiy.test:8500',
      '--kafka',
      'kafka.civildiy.test:9092',
      '--services',
      'auth,posts,profile,feed',
      '--timeout-ms',
      '1000',
    ])
    const find = (target: string, check: string) =>
      r.checks.find((c) => c.target.startsWith(target) && c.check === check)
    expect(r.ok).toBe(false)
    expect(find('consul', 'dns')?.detail).toContain('(hosts file')
    expect(find('auth auth-ok', 'tcp')?.ok).toBe(true)
    expect(find('auth auth-ok', 'mtu')?.ok).toBe(true)
    const unroutable = find('posts posts-unroutable', 'tcp')!
    expect(unroutable.ok).toBe(false)
    expect(unroutable.detail).toContain('10.99.0.5:3003 unreachable: no route')
    expect(unroutable.detail).toContain("Consul's check passes")
    const unresolvable = find('profile profile-unresolvable', 'dns')!
    expect(unresolvable.ok).toBe(false)
    expect(unresolvable.detail).toContain('missing.civildiy.test does not resolve')
    expect(find('feed feed-by-name', 'dns')?.ok).toBe(true)
    expect(find('feed feed-by-name', 'http')?.ok).toBe(true)
    const listener = r.checks.find(
      (c) => c.target === 'kafka advertised' && c.check === 'listener',
    )!
    expect(listener.ok).toBe(false)
    expect(listener.detail).toContain('advertises kafka-internal:9092')
    expect(
      r.checks.find((c) => c.target === 'kafka advertised' && c.check === 'dns')?.detail,
    ).toContain('kafka-internal does not resolve')
  }, 30_000)

  test('a path whose MTU is smaller than the segments sent is reported as an MTU black hole', async () => {
    // The client's link takes 1,000-byte frames but still advertises a 1,460-byte MSS
    // (a mismatched MTU on the path), and the server sends unsegmented packets
    // (gso_max_segs 1): large answers are dropped with nothing coming back.
    const setMtu = (mtu: string, advmss: string[]) => [
      sh(['ip', '-n', cli, 'link', 'set', `wc${id}`, 'mtu', mtu]),
      sh([
        'ip',
        '-n',
        cli,
        'route',
        'replace',
        `10.202.${octet}.0/24`,
        'dev',
        `wc${id}`,
        ...advmss,
      ]),
    ]
    expect(setMtu('1000', ['advmss', '1460']).every((r) => r.ok)).toBe(true)
    expect(sh(['ip', '-n', srv, 'link', 'set', `ws${id}`, 'gso_max_segs', '1']).ok).toBe(true)
    try {
      const r = await doctor([
        '--consul',
        `http://${srvIp}:8500`,
        '--services',
        'search',
        '--timeout-ms',
        '1000',
      ])
      const http = r.checks.find((c) => c.target === 'search search-far' && c.check === 'http')!
      const mtu = r.checks.find((c) => c.target === 'search search-far' && c.check === 'mtu')!
      expect(http.ok).toBe(true)
      expect(mtu.ok).toBe(false)
      expect(mtu.fix).toContain('MTU black hole')
    } finally {
      setMtu('1500', [])
    }
  }, 30_000)
})
