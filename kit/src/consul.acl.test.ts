/** CONSUL_HTTP_TOKEN reaches Consul: against an agent that denies unknown tokens. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { consulClient, discoverService, registerWithConsul } from './consul.ts'
import { silentLogger } from './testing/index.ts'

const TOKEN = '6f1f6b1e-4d0a-4c1e-9a53-2b1f0c6d9e77'
let consul: ConsulServer

beforeAll(async () => {
  consul = await startConsul({ port: 0, aclTokens: [TOKEN] })
})
afterAll(() => consul?.stop())

test('with the token a service registers and is discovered; without it Consul refuses', async () => {
  const withToken = consulClient(consul.url, TOKEN)
  const health = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('ok') })
  try {
    const reg = await registerWithConsul(
      withToken,
      {
        name: 'acl-svc',
        address: '127.0.0.1',
        port: health.port!,
        checkPath: '/',
        interval: '100ms',
      },
      silentLogger(),
    )
    const deadline = Date.now() + 5_000
    let found: string | undefined
    while (!found && Date.now() < deadline) {
      found = await discoverService(withToken, 'acl-svc').catch(() => undefined)
      if (!found) await Bun.sleep(50)
    }
    expect(found).toBe(`http://127.0.0.1:${health.port}`)
    const anonymous = consulClient(consul.url)
    await expect(
      registerWithConsul(
        anonymous,
        { name: 'intruder', address: '127.0.0.1', port: 1 },
        silentLogger(),
      ),
    ).rejects.toThrow()
    await expect(
      discoverService(consulClient(consul.url, 'wrong-token'), 'acl-svc'),
    ).rejects.toThrow()
    await reg.deregister()
  } finally {
    health.stop(true)
  }
})
