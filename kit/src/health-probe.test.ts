import { expect, test } from 'bun:test'
import { probeHealth } from './health-probe.ts'

test('the healthcheck exits 0 when /health/ready answers 2xx, 1 on 503 or no answer', async () => {
  let ready = true
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req) =>
      new URL(req.url).pathname === '/health/ready'
        ? new Response(null, { status: ready ? 200 : 503 })
        : new Response(null, { status: 404 }),
  })
  try {
    expect(await probeHealth({ PORT: String(server.port) })).toBe(0)
    ready = false
    expect(await probeHealth({ PORT: String(server.port) })).toBe(1)
  } finally {
    server.stop(true)
  }
  expect(await probeHealth({ PORT: String(server.port) })).toBe(1)
})
