/**
 * `npm run bench [-- --quick]`: runs every benchmark in turn and prints their tables.
 * Each benchmark also writes JSON under bench/results/.
 */
import { join } from 'node:path'

const benchmarks = ['kafka-broker.ts', 'devstack.ts', 'services.ts', 'feed.ts', 'gateway.ts', 'events.ts']
const passThrough = process.argv.slice(2)
let failed = false
for (const file of benchmarks) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, file), ...passThrough], {
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if ((await proc.exited) !== 0) {
    console.error(`bench: ${file} failed`)
    failed = true
  }
}
process.exit(failed ? 1 : 0)
