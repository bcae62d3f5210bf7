import { expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { createLogger } from '../logger.ts'
import { createBrokerLog } from './broker-log.ts'

test('an outage is one line down, one summary per period with a count, and one line back', () => {
  const lines: { msg: string; errors?: number }[] = []
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l))
      done()
    },
  })
  let now = 0
  const log = createBrokerLog(createLogger({ service: 't', destination }), {
    summaryMs: 30_000,
    clock: () => now,
  })
  log.reachable()
  expect(lines).toEqual([])
  // 570 failures over 57 s: one per 100 ms, as kafkajs retries.
  for (let i = 0; i < 570; i++) {
    log.failure('Connection error: connect ECONNREFUSED')
    now += 100
  }
  expect(log.isDown()).toBe(true)
  log.reachable()
  expect(lines.map((l) => l.msg)).toEqual([
    'kafka unavailable',
    'kafka still unavailable',
    'kafka reachable again',
  ])
  expect(lines[1]!.errors).toBe(300)
  expect(lines[2]!.errors).toBe(570)
  expect(log.isDown()).toBe(false)
})
