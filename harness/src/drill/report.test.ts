import { expect, test } from 'bun:test'
import { htmlReport } from '../report/html-report.ts'
import { renderDrills } from './drill-command.ts'
import type { DrillResult } from './drills.ts'
import { drillPage } from './report-html.ts'

const result = (over: Partial<DrillResult>): DrillResult => ({
  name: 'feed-crash',
  load: '10 posts/s + 20 GET/s for 8 s',
  fault: 'SIGKILL to the feed service',
  requests: {
    GET: { sent: 159, failed: 14, byStatus: { 502: 14 } },
    POST: { sent: 79, failed: 0, byStatus: {} },
  },
  accepted: 79,
  lost: 0,
  duplicates: 0,
  recoveryMs: 9355,
  thresholds: ['0 accepted posts lost'],
  failures: [],
  pass: true,
  notes: [],
  ...over,
})

test('the table names failures by status, and the verdict with its reasons', () => {
  const text = renderDrills([
    result({}),
    result({ name: 'broker-outage', pass: false, failures: ['3 accepted posts lost'], lost: 3 }),
  ])
  expect(text).toContain('| feed-crash | SIGKILL to the feed service |')
  expect(text).toContain('14 of 159 (14×502)')
  expect(text).toContain('| 9355 | pass |')
  expect(text).toContain('FAIL: 3 accepted posts lost')
})

test('the HTML report escapes what it shows, marks each drill and embeds its chart', async () => {
  const page = await htmlReport(
    drillPage(
      [
        result({
          fault: '<script>alert(1)</script>',
          pass: false,
          failures: ['x & y'],
          throughput: { perSecond: [[0, 20, 0, 10, 0]], faultFromS: 2, faultToS: 5 },
        }),
      ],
      new Date('2026-12-02T00:00:00Z'),
    ),
  )
  expect(page).not.toContain('<script>alert(1)</script>')
  expect(page).toContain('&lt;script&gt;')
  expect(page).toContain('<section class="failed"><h2>feed-crash: FAIL</h2>')
  expect(page).toContain('Failure: x &amp; y')
  expect(page).toContain('0 of 1 passed')
  expect(page).toContain('answers per second (fault 2.0–5.0 s)')
})
