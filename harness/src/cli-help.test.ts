/**
 * `harness <command> --help` for every command: usage on stdout, exit 0, and no
 * side effects. Every port `harness up` would bind is given a free one and must
 * still be free afterwards, and the data folder must not have been created.
 */
import { afterAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { harnessUpEnv } from './testing/harness-up.ts'
import { tcpOpen } from './up/stack-plan.ts'

const cli = join(import.meta.dir, 'cli.ts')
const scratch = mkdtempSync(join(tmpdir(), 'harness-help-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const commands = [
  'up',
  'check',
  'replay',
  'doctor',
  'drill',
  'backup',
  'restore',
  'restore-drill',
  'status',
  'stop',
  'start',
  'restart',
  'kill',
]

/** The first words of a command's usage (the process commands share one). */
const usageOf = (command: string) =>
  ['stop', 'start', 'restart', 'kill'].includes(command)
    ? 'Usage: harness status'
    : `Usage: harness ${command}`

for (const command of commands) {
  test(`harness ${command} --help prints usage, exits 0 and starts nothing`, async () => {
    const dataDir = join(scratch, command)
    const env = await harnessUpEnv(dataDir)
    const proc = Bun.spawn([process.execPath, cli, command, '--help'], {
      env: env as Record<string, string>,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    expect({ code, err }).toEqual({ code: 0, err: '' })
    expect(out).toContain(usageOf(command))
    expect(existsSync(dataDir)).toBe(false)
    const ports = Object.entries(env).filter(([k]) => k.endsWith('_PORT'))
    expect(ports.length).toBeGreaterThan(5)
    for (const [name, port] of ports)
      expect({ name, open: await tcpOpen('127.0.0.1', Number(port)) }).toEqual({
        name,
        open: false,
      })
  })
}

test('harness --help prints the command list and exits 0', async () => {
  const proc = Bun.spawn([process.execPath, cli, '--help'], { stdout: 'pipe' })
  const out = await new Response(proc.stdout).text()
  expect(await proc.exited).toBe(0)
  for (const command of commands) expect(out).toContain(command)
})
