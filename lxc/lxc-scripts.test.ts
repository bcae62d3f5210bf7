/**
 * The LXC scripts: valid shell, and `setup-host.sh --dry-run` reports what it
 * would change on this machine without changing anything.
 */
import { expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const script = (name: string) => join(import.meta.dir, name)

test('both scripts parse (bash -n)', () => {
  for (const name of ['setup-host.sh', 'verify-guest.sh']) {
    const r = Bun.spawnSync(['bash', '-n', script(name)], { stderr: 'pipe' })
    expect({ name, code: r.exitCode, err: r.stderr.toString() }).toEqual({ name, code: 0, err: '' })
  }
})

test('setup-host.sh --dry-run changes nothing and says what it would do', () => {
  const files = ['/etc/modules-load.d/civildiy.conf', '/etc/sysctl.d/90-civildiy.conf']
  const before = files.map((f) => existsSync(f))
  const r = Bun.spawnSync(['bash', script('setup-host.sh'), '--dry-run'], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const out = r.stdout.toString()
  expect(r.exitCode).toBe(0)
  expect(out.trim().split('\n').at(-1)).toBe('setup-host: done (dry run: nothing changed)')
  for (const line of out.trim().split('\n').slice(0, -1))
    expect(line).toMatch(/^would (run|add to)/)
  expect(files.map((f) => existsSync(f))).toEqual(before)
  expect(Bun.spawnSync(['bash', script('setup-host.sh'), '--bogus']).exitCode).toBe(2)
  // --check verifies: exit 1 exactly when the dry run listed changes.
  const changes = out.trim().split('\n').length > 1
  const checked = Bun.spawnSync(['bash', script('setup-host.sh'), '--check'], { stdout: 'pipe' })
  expect(checked.exitCode).toBe(changes ? 1 : 0)
  expect(files.map((f) => existsSync(f))).toEqual(before)
})

test('verify-guest.sh checks keyctl, as the guide says, and names the fix when it is refused', () => {
  const fake = mkdtempSync(join(tmpdir(), 'fake-keyctl-'))
  try {
    const run = (path: string) =>
      Bun.spawnSync(['bash', script('verify-guest.sh')], {
        env: { ...process.env, PATH: path },
        stdout: 'pipe',
      }).stdout.toString()
    // The syscall itself (python3) on this machine: a keyctl line either way.
    expect(run(process.env.PATH ?? '')).toMatch(/^(pass {2}keyctl|FAIL {2}keyctl)/m)
    // keyutils' keyctl refusing, as in a guest without keyctl=1.
    writeFileSync(join(fake, 'keyctl'), '#!/bin/sh\nexit 1\n', { mode: 0o755 })
    expect(run(`${fake}:${process.env.PATH}`)).toContain(
      'FAIL  keyctl -- the keyctl syscall is refused: pct set <vmid> --features nesting=1,keyctl=1',
    )
    writeFileSync(join(fake, 'keyctl'), '#!/bin/sh\nexit 0\n', { mode: 0o755 })
    expect(run(`${fake}:${process.env.PATH}`)).toContain('pass  keyctl (session keyring)')
  } finally {
    rmSync(fake, { recursive: true, force: true })
  }
})
