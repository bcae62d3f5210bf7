#!/usr/bin/env bun
/**
 * Runs one service with the embedded stand-ins it needs, for `bun run dev` in a
 * service folder: starts them on free ports, then the service as a child process
 * with their URLs in its environment (a variable already set is kept: a real
 * server wins). The services themselves never import the devstack; this is the
 * outside that supplies it, as `harness up` does for the whole stack.
 *
 * Usage: dev-run [--pg] [--mongo] [--kafka] [--consul] [--data-dir DIR] -- ENTRY [ARGS...]
 */
import { parseArgs } from 'node:util'
import { type ComponentName, startDevstack } from './devstack.ts'

const USAGE =
  'Usage: dev-run [--pg] [--mongo] [--kafka] [--consul] [--data-dir DIR] -- ENTRY [ARGS...]'
const split = process.argv.indexOf('--')
if (split === -1 || split === process.argv.length - 1) {
  console.error(USAGE)
  process.exit(2)
}
const { values } = parseArgs({
  args: process.argv.slice(2, split),
  options: {
    pg: { type: 'boolean' },
    mongo: { type: 'boolean' },
    kafka: { type: 'boolean' },
    consul: { type: 'boolean' },
    'data-dir': { type: 'string' },
  },
})
/** Which variable each stand-in fills, and how its URL becomes that variable's value. */
const fills: Record<string, [string, (url: string) => string]> = {
  pg: ['DATABASE_URL', (u) => u],
  mongo: ['MONGO_URL', (u) => u],
  kafka: ['KAFKA_BROKERS', (u) => u.replace('kafka://', '')],
  consul: ['CONSUL_HTTP_ADDR', (u) => u],
}
const wanted = (Object.keys(fills) as ComponentName[]).filter(
  (c) => values[c as keyof typeof values] && !process.env[fills[c]![0]],
)
const stack = await startDevstack({
  only: wanted,
  dataDir: values['data-dir'],
  kafka: { port: 0, log: () => {} },
  mongo: { port: 0, log: () => {} },
  consul: { port: 0 },
  pg: { port: 0 },
})
const env: Record<string, string | undefined> = { ...process.env }
for (const c of stack.components) {
  const [variable, value] = fills[c.name]!
  env[variable] = value(c.url)
  console.error(`dev-run: ${c.name} at ${c.url} (${variable})`)
}
const child = Bun.spawn([process.execPath, ...process.argv.slice(split + 1)], {
  env,
  stdio: ['inherit', 'inherit', 'inherit'],
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
const code = await child.exited
await stack.stop()
process.exit(code)
