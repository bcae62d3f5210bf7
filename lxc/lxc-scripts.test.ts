/**
 * The LXC scripts: valid shell, and `setup-host.sh --dry-run` reports what it
 * would change on this machine without changing anything.
 */
import { expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
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
