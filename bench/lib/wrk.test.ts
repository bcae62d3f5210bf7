import { expect, test } from 'bun:test'
import { parseWrk } from './wrk.ts'

const report = `Running 1s test @ http://127.0.0.1:18999/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   100.36us  148.46us   3.53ms   97.79%
    Req/Sec   104.85k     8.83k  126.19k    81.82%
  Latency Distribution
     50%   81.00us
     75%  102.00us
     90%    1.37ms
     99%    1.20s
  114390 requests in 1.10s, 12.76MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec: 104048.99
Transfer/sec:     11.61MB
`

test('parses requests/s, counts, errors and percentiles in ms from every unit', () => {
  expect(parseWrk(report)).toEqual({
    perSecond: 104048.99,
    requests: 114390,
    errors: 7,
    ms: { p50: 0.081, p75: 0.102, p90: 1.37, p99: 1200 },
  })
  expect(() => parseWrk('unable to connect')).toThrow('not a wrk report')
})
