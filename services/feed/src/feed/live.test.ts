/** The live stream's per-user cap, over real connections to the served app. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { RunningService } from '@civildiy/kit'
import {
  createTestIssuer,
  serveForTest,
  silentLogger,
  type TestIssuer,
} from '@civildiy/kit/testing'
import { createApp } from '../app.ts'
import { createMemoryStore } from '../store/memory-store.ts'
import { feedKeys } from './keys.ts'

let service: RunningService
let issuer: TestIssuer

beforeAll(async () => {
  issuer = await createTestIssuer()
  service = await serveForTest(
    'feed',
    createApp({
      store: createMemoryStore(),
      keys: feedKeys(),
      verify: issuer.verify,
      logger: silentLogger(),
      production: true,
      live: { maxStreamsPerUser: 3, pollMs: 20 },
    }),
  )
})
afterAll(() => service?.stop())

async function openStream(token: string) {
  const controller = new AbortController()
  const res = await fetch(`${service.url}/feed/live`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  })
  if (res.status === 200) await res.body!.getReader().read()
  return { res, close: () => controller.abort() }
}

test('one user holds at most the configured number of live streams; a closed one frees its slot', async () => {
  const ada = await issuer.tokenFor(crypto.randomUUID())
  const lin = await issuer.tokenFor(crypto.randomUUID())
  const streams = [await openStream(ada), await openStream(ada), await openStream(ada)]
  expect(streams.map((s) => s.res.status)).toEqual([200, 200, 200])
  const fourth = await openStream(ada)
  expect(fourth.res.status).toBe(429)
  expect(fourth.res.headers.get('content-type')).toBe('application/problem+json')
  expect(fourth.res.headers.get('retry-after')).toBe('5')
  // Another user is not affected.
  const other = await openStream(lin)
  expect(other.res.status).toBe(200)
  streams[0]!.close()
  let again = await openStream(ada)
  for (let i = 0; i < 100 && again.res.status === 429; i++) {
    await Bun.sleep(20)
    again = await openStream(ada)
  }
  expect(again.res.status).toBe(200)
  for (const s of [...streams, other, again]) s.close()
})
