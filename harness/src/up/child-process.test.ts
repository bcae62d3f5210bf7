import { expect, test } from 'bun:test'
import { formatLogLine, startChild } from './child-process.ts'

test('pino lines become LEVEL message {fields}; other lines pass unchanged', () => {
  expect(
    formatLogLine(
      '{"level":40,"time":1,"service":"feed","pid":3,"hostname":"h","msg":"slow","durationMs":12}',
    ),
  ).toBe('WARN slow {"durationMs":12}')
  expect(formatLogLine('plain text')).toBe('plain text')
  expect(formatLogLine('{not json')).toBe('{not json')
})

test('a child’s output is prefixed and its tail kept; stop is graceful', async () => {
  const printed: string[] = []
  const child = startChild(
    'demo',
    [
      process.execPath,
      '-e',
      "console.log('one'); console.error('two'); setInterval(() => {}, 1000)",
    ],
    process.env,
    (l) => printed.push(l),
  )
  const deadline = Date.now() + 5_000
  while (child.tail().length < 2 && Date.now() < deadline) await Bun.sleep(10)
  expect(printed.toSorted()).toEqual(['demo    | one', 'demo    | two'])
  expect(await child.stop(2_000)).not.toBeNull()
})
