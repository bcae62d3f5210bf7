#!/usr/bin/env bun
/**
 * The `devstack` command: starts the embedded stand-ins and prints one line per
 * component with its URL, then a line starting `devstack ready`. Stops everything
 * on SIGINT/SIGTERM.
 *
 * Usage: bun run devstack -- [--only kafka] [--host 127.0.0.1] [--kafka-port 9092]
 *        [--kafka-advertised-host NAME] [--data-dir .data/devstack]
 */
import { parseArgs } from 'node:util'
import { type ComponentName, componentNames, startDevstack } from './devstack.ts'

function fail(message: string): never {
  console.error(`devstack: ${message}`)
  process.exit(2)
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    fail(`${flag} expects a port number 0..65535, got "${value}"`)
  return n
}

let args: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    options: {
      only: { type: 'string' },
      host: { type: 'string' },
      'kafka-port': { type: 'string' },
      'kafka-advertised-host': { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values
}
try {
  args = parse()
} catch (err) {
  fail((err as Error).message)
}

if (args.help) {
  console.log(`Usage: devstack [--only ${componentNames.join(',')}] [--host ADDR] [--kafka-port N]
                [--kafka-advertised-host NAME] [--data-dir DIR]

Starts embedded, protocol-compatible stand-ins for development and tests.
Ports default to each server's standard port and fall back to a free one when taken.`)
  process.exit(0)
}

const only = args.only?.split(',').map((s) => s.trim()) ?? [...componentNames]
for (const name of only) {
  if (!componentNames.includes(name as ComponentName))
    fail(`unknown component "${name}"; expected one of ${componentNames.join(', ')}`)
}

const started = performance.now()
const stack = await startDevstack({
  only: only as ComponentName[],
  host: args.host,
  dataDir: args['data-dir'],
  kafka: {
    port: port(args['kafka-port'], '--kafka-port'),
    advertisedHost: args['kafka-advertised-host'],
  },
}).catch((err: Error) => fail(err.message))

for (const c of stack.components) {
  console.log(`${c.name.padEnd(8)} ${c.url}${c.note ? `  (${c.note})` : ''}`)
}
console.log(`devstack ready in ${(performance.now() - started).toFixed(1)} ms`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return
    stopping = true
    await stack.stop()
    process.exit(0)
  })
}
