/** The filter language as Consul's documentation defines it, on the shapes the agent returns. */
import { expect, test } from 'bun:test'
import { compileFilter, FilterSyntaxError } from './filter.ts'

const web = {
  ID: 'web-1',
  Service: 'web',
  Tags: ['v2', 'blue'],
  Meta: { version: '2.1' },
  Port: 80,
}
const api = { ID: 'api-1', Service: 'api', Tags: [], Meta: {}, Port: 8080 }
const entry = { Service: web, Checks: [{ Status: 'passing' }, { Status: 'critical' }] }
const matches = (expr: string, item: unknown) => compileFilter(expr)(item)

test('each matching operator', () => {
  expect(matches('Service == "web"', web)).toBe(true)
  expect(matches('Service != web', web)).toBe(false)
  expect(matches('"v2" in Tags', web)).toBe(true)
  expect(matches('"v3" not in Tags', web)).toBe(true)
  expect(matches('Tags contains `blue`', web)).toBe(true)
  expect(matches('Tags not contains "blue"', web)).toBe(false)
  expect(matches('Tags is empty', api)).toBe(true)
  expect(matches('Meta is not empty', web)).toBe(true)
  expect(matches('Meta.version matches "^2\\\\."', web)).toBe(true)
  expect(matches('Meta.version not matches "^3"', web)).toBe(true)
  expect(matches('Port == 8080', api)).toBe(true)
  expect(matches('"version" in Meta', web)).toBe(true)
})

test('precedence, grouping, and selectors through lists', () => {
  expect(matches('Service == api or Service == web and Port == 80', web)).toBe(true)
  expect(matches('(Service == api or Service == web) and Port == 81', web)).toBe(false)
  expect(matches('not Service == api', web)).toBe(true)
  expect(matches('Checks.Status == critical', entry)).toBe(true)
  expect(matches('Service.Tags contains v2 and Service.Meta.version == "2.1"', entry)).toBe(true)
  expect(matches('Missing.Field == x', web)).toBe(false)
})

test('what does not parse is a syntax error, not a silent match', () => {
  for (const bad of [
    'Service ==',
    'Service === web',
    '(Service == web',
    'Service == web)',
    '"web" == Service',
    'Service matches "("',
    'Service lt 3',
    'Service == "\\q"',
    `${'('.repeat(5_000)}Service == web${')'.repeat(5_000)}`,
  ])
    expect(() => compileFilter(bad)).toThrow(FilterSyntaxError)
})
