import { afterAll, expect, test } from 'bun:test'
import { startKafkaBroker } from '@civildiy/devstack'
import { advertisedBrokers } from './kafka-metadata.ts'

const broker = await startKafkaBroker({
  port: 0,
  advertisedHost: 'kafka.internal.example',
  advertisedPort: 19092,
  log: () => {},
})
afterAll(() => broker.stop())

test('reads the advertised listener from a broker without connecting to it', async () => {
  expect(await advertisedBrokers(broker.host, broker.port)).toEqual([
    { nodeId: expect.any(Number), host: 'kafka.internal.example', port: 19092 },
  ])
})
