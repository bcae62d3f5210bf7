#!/usr/bin/env bun
/**
 * The `devstack` command: starts the embedded stand-ins, prints one line per
 * component with its URL, then a line starting `devstack ready`. Stops everything
 * cleanly on SIGINT/SIGTERM.
 *
 * Data lives in `.data/devstack` by default (so it survives restarts, as a real
 * server's volume would); `--in-memory` keeps nothing.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { readKafkaSaslFile, readMongoUsersFile } from './auth-files.ts'
import { type ComponentName, componentNames, startDevstack } from './devstack.ts'

const USAGE = `Usage: devstack [options]

Starts embedded, protocol-compatible stand-ins for development and tests:
  kafka (Kafka wire protocol), mongo (MongoDB wire protocol), consul (Consul HTTP API),
  pg (PGlite over the Postgres wire protocol), upstash (Upstash REST bridge; needs --upstash-redis).

Options:
  --only NAMES               comma-separated subset of: ${componentNames.join(', ')}
  --host ADDR                interface to listen on (default 127.0.0.1)
  --kafka-port N             default 9092      --kafka-advertised-host NAME
  --kafka-sasl FILE          require SASL (PLAIN, SCRAM-SHA-256/512): users and topic ACLs, JSON
  --kafka-tls-cert FILE      serve Kafka over TLS with this PEM certificate  --kafka-tls-key FILE
  --mongo-port N             default 27017
  --mongo-users FILE         require SCRAM-SHA-256: users and their databases, JSON
  --consul-port N            default 8500
  --pg-port N                default 5432
  --upstash-port N           default 8079      --upstash-redis URL   --upstash-token TOKEN
  --data-dir DIR             default .data/devstack
  --in-memory                keep no data on disk
  --quiet                    no per-connection logs from kafka and mongo
  -h, --help

A port of 0 picks a free one; a standard port that is taken falls back to a free one.`

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

const spec = {
  only: { type: 'string' },
  host: { type: 'string' },
  'kafka-port': { type: 'string' },
  'kafka-advertised-host': { type: 'string' },
  'kafka-sasl': { type: 'string' },
  'kafka-tls-cert': { type: 'string' },
  'kafka-tls-key': { type: 'string' },
  'mongo-port': { type: 'string' },
  'mongo-users': { type: 'string' },
  'consul-port': { type: 'string' },
  'pg-port': { type: 'string' },
  'upstash-port': { type: 'string' },
  'upstash-redis': { type: 'string' },
  'upstash-token': { type: 'string' },
  'data-dir': { type: 'string' },
  'in-memory': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

let args: ReturnType<typeof parseArgs<{ options: typeof spec }>>['values']
try {
  args = parseArgs({ options: spec, strict: true }).values
} catch (err) {
  fail(`${(err as Error).message}\n\n${USAGE}`)
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}

const only = args.only?.split(',').map((s) => s.trim())
for (const name of only ?? []) {
  if (!componentNames.includes(name as ComponentName))
    fail(`unknown component "${name}"; expected one of ${componentNames.join(', ')}`)
}
if (only?.includes('upstash') && !args['upstash-redis'])
  fail('the upstash component needs --upstash-redis redis://HOST:PORT')
if (args['in-memory'] && args['data-dir']) fail('--in-memory and --data-dir exclude each other')
if (Boolean(args['kafka-tls-cert']) !== Boolean(args['kafka-tls-key']))
  fail('--kafka-tls-cert and --kafka-tls-key go together')
const readOrFail = <T>(read: () => T): T => {
  try {
    return read()
  } catch (err) {
    fail((err as Error).message)
  }
}
const kafkaSasl = args['kafka-sasl']
  ? readOrFail(() => readKafkaSaslFile(args['kafka-sasl']!))
  : undefined
const mongoUsers = args['mongo-users']
  ? readOrFail(() => readMongoUsersFile(args['mongo-users']!))
  : undefined
const kafkaTls = args['kafka-tls-cert']
  ? readOrFail(() => ({
      cert: readFileSync(args['kafka-tls-cert']!, 'utf8'),
      key: readFileSync(args['kafka-tls-key']!, 'utf8'),
    }))
  : undefined

const started = performance.now()
const stack = await startDevstack({
  only: only as ComponentName[] | undefined,
  host: args.host,
  dataDir: args['in-memory'] ? undefined : (args['data-dir'] ?? '.data/devstack'),
  kafka: {
    port: port(args['kafka-port'], '--kafka-port'),
    advertisedHost: args['kafka-advertised-host'],
    sasl: kafkaSasl,
    tls: kafkaTls,
    ...(args.quiet ? { log: () => {} } : {}),
  },
  mongo: {
    port: port(args['mongo-port'], '--mongo-port'),
    users: mongoUsers,
    ...(args.quiet ? { log: () => {} } : {}),
  },
  consul: { port: port(args['consul-port'], '--consul-port') },
  pg: { port: port(args['pg-port'], '--pg-port') },
  upstash: {
    port: port(args['upstash-port'], '--upstash-port'),
    redisUrl: args['upstash-redis'],
    token: args['upstash-token'],
  },
}).catch((err: Error) => fail(err.message))

for (const c of stack.components) {
  console.log(
    `${c.name.padEnd(8)} ${c.url.padEnd(44)} ${c.readyMs.toFixed(0).padStart(5)} ms${c.note ? `  (${c.note})` : ''}`,
  )
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
