/**
 * The server side of the doctor's network-namespace test, run inside the test's
 * "server" namespace: Consul, a Kafka broker advertising a name only this
 * namespace resolves, one HTTP service, and registrations with deliberate faults.
 * Prints `ready` once everything is registered. Usage (by the test only):
 *   bun netns-fixture.ts <server-ip> <server-ip-on-the-second-link>
 */
import { startConsul, startKafkaBroker } from '@civildiy/devstack'
import { consulClient } from '@civildiy/kit'

const ip = process.argv[2]!
const secondIp = process.argv[3]!
const consul = await startConsul({ host: '0.0.0.0', port: 8500, advertiseAddress: ip })
const kafka = await startKafkaBroker({
  host: '0.0.0.0',
  port: 9092,
  advertisedHost: 'kafka-internal',
  advertisedPort: 9092,
  log: () => {},
})
const large = 'x'.repeat(200_000)
const http = Bun.serve({
  hostname: '0.0.0.0',
  port: 3001,
  fetch(request) {
    const path = new URL(request.url).pathname
    if (path === '/openapi/json') return new Response(large)
    return new Response('ok')
  },
})
const client = consulClient(`http://127.0.0.1:${consul.port}`)
const register = (id: string, name: string, address: string, port: number) =>
  client.agent.service.register({ id, name, address, port } as { name: string })
await register('auth-ok', 'auth', ip, 3001)
await register('posts-unroutable', 'posts', '10.99.0.5', 3003)
await register('profile-unresolvable', 'profile', 'missing.civildiy.test', 3002)
await register('feed-by-name', 'feed', 'svc.civildiy.test', 3001)
// Reached over the second link, where the test breaks the MTU.
await register('search-far', 'search', secondIp, 3001)
console.log('ready')
process.on('SIGTERM', async () => {
  await http.stop(true)
  await kafka.stop()
  await consul.stop()
  process.exit(0)
})
