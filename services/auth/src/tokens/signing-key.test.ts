import { expect, test } from 'bun:test'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@civildiy/kit/testing'
import { loadSigningKey, SigningKeyError } from './signing-key.ts'

test('production without a key is refused; development generates one once and reuses it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-key-'))
  try {
    const logger = silentLogger()
    await expect(loadSigningKey({ dataDir, production: true, logger })).rejects.toBeInstanceOf(
      SigningKeyError,
    )
    const first = await loadSigningKey({ dataDir, production: false, logger })
    const again = await loadSigningKey({ dataDir, production: false, logger })
    expect(again.kid).toBe(first.kid)
    expect(statSync(join(dataDir, 'jwt-ed25519.pem')).mode & 0o777).toBe(0o600)
    await expect(
      loadSigningKey({ pem: 'not a key', dataDir, production: true, logger }),
    ).rejects.toThrow('Ed25519 PKCS#8')
    await expect(
      loadSigningKey({ file: join(dataDir, 'missing.pem'), dataDir, production: true, logger }),
    ).rejects.toThrow('does not exist')
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})
