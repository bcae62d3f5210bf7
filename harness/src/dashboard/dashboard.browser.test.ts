/**
 * The dashboard end to end, in real headless Chromium against a real `harness
 * up`: the topology shows the five services passing; a post made through the
 * gateway shows up on the Traces page, its waterfall crosses the gateway, the
 * posts service, MongoDB, Kafka and the feed, and its log lines link back; the
 * propagation chart gets a point; a hung or killed instance turns red; a check
 * runs from the page; and the dashboard refuses other origins and hosts. Each
 * test saves a screenshot under .data/screenshots/. Also: a short replay's HTML
 * report opens with no console errors and draws its charts.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { stackClient } from '../client/stack-client.ts'
import {
  canvasHasInk,
  launchChromium,
  noChromiumReason,
  screenshotPath,
  watchedPage,
} from '../testing/chromium.ts'
import { type RunningHarness, startHarnessUp } from '../testing/harness-up.ts'
import { controlClient } from '../up/control.ts'

const skip = noChromiumReason()
if (skip) console.log(`SKIPPED: dashboard browser tests: ${skip}`)
const cli = join(import.meta.dir, '..', 'cli.ts')

let harness: RunningHarness
let browser: Browser
let page: Page
let errors: string[]
let dashboard: string
let postTraceId: string

beforeAll(async () => {
  if (skip) return
  ;[harness, browser] = await Promise.all([startHarnessUp(), launchChromium()])
  dashboard = harness.stack.dashboard!
  ;({ page, errors } = await watchedPage(browser))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await harness?.stop()
})

const hex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex')

/** A post through the gateway in a trace of our own (sampled), so the test knows its id. */
async function postInOwnTrace(): Promise<string> {
  const api = stackClient(harness.stack.gateway)
  const session = await api.signUp(`dash-${hex(4)}@example.com`, 'dashboard password 1')
  const traceId = hex(16)
  const res = await api.raw('/posts', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${session.token}`,
      traceparent: `00-${traceId}-${hex(8)}-01`,
    },
    body: JSON.stringify({ body: 'hello from the dashboard test' }),
  })
  expect(res.status).toBe(201)
  return traceId
}

const SERVICES = ['auth', 'profile', 'posts', 'feed', 'gateway']

test.skipIf(Boolean(skip))(
  'the topology page shows all five services passing',
  async () => {
    await page.goto(`${dashboard}/topology`)
    for (const s of SERVICES)
      await page.waitForSelector(`tr[data-service="${s}"][data-health="ok"]`, { timeout: 15_000 })
    expect(
      await page.locator('svg[aria-label="topology"] g[data-node]').count(),
    ).toBeGreaterThanOrEqual(5)
    await page.screenshot({ path: screenshotPath('dashboard-topology.png'), fullPage: true })
    expect(errors).toEqual([])
  },
  30_000,
)

test.skipIf(Boolean(skip))(
  'a post’s trace is listed, and its waterfall crosses four services and the Kafka hop',
  async () => {
    await page.goto(`${dashboard}/traces`)
    await page.waitForSelector('#traces')
    const posted = performance.now()
    postTraceId = await postInOwnTrace()
    // Live: the list refreshes as spans arrive, with no reload.
    await page.waitForSelector(`tr[data-trace-id="${postTraceId}"]`, { timeout: 10_000 })
    // Reported, not asserted (no timing assertions here): what the 2 s target is about.
    console.log(
      `dashboard: the post's trace was listed ${(performance.now() - posted).toFixed(0)} ms after the POST was sent`,
    )
    await page.click(`tr[data-trace-id="${postTraceId}"] a`)
    // The feed's consumer span arrives after the broker hop.
    await page.waitForSelector('#waterfall .row[data-service="feed"]', { timeout: 15_000 })
    const components = ((await page.getAttribute('#components', 'data-components')) ?? '').split(
      ',',
    )
    expect(components.length).toBeGreaterThanOrEqual(4)
    for (const c of ['gateway', 'posts', 'kafka', 'feed']) expect(components).toContain(c)
    expect(await page.locator('#waterfall .row[data-lane="kafka"]').count()).toBeGreaterThan(0)
    await page.screenshot({ path: screenshotPath('dashboard-trace.png'), fullPage: true })

    // From the trace to its log lines, and back.
    await page.click(`a[href="/_dev/logs?traceId=${postTraceId}"]`)
    await page.waitForSelector(`#logs tr[data-trace-id="${postTraceId}"]`, { timeout: 10_000 })
    const back = await page.getAttribute(
      `#logs tr[data-trace-id="${postTraceId}"] td:last-child a`,
      'href',
    )
    expect(back).toBe(`/_dev/traces/${postTraceId}`)
    expect(errors).toEqual([])
  },
  45_000,
)

test.skipIf(Boolean(skip))(
  'the propagation chart gets a new point after a post',
  async () => {
    await page.goto(`${dashboard}/events`)
    await page.waitForSelector('[data-chart="propagation"] canvas', { timeout: 15_000 })
    const before = Number(await page.getAttribute('[data-chart="propagation"]', 'data-points'))
    await postInOwnTrace()
    await page.waitForFunction(
      `Number(document.querySelector('[data-chart="propagation"]')?.getAttribute('data-points')) > ${before}`,
      undefined,
      { timeout: 15_000 },
    )
    expect((await canvasHasInk(page, '[data-chart="propagation"] canvas')).some(Boolean)).toBe(true)
    await page.screenshot({ path: screenshotPath('dashboard-events.png'), fullPage: true })
    expect(errors).toEqual([])
  },
  30_000,
)

test.skipIf(Boolean(skip))(
  'a hung instance turns red through Consul, a killed one at once; both recover',
  async () => {
    const control = controlClient(harness.stack.control!)
    await page.goto(`${dashboard}/topology`)
    const row = (health: string) => `tr[data-service="feed"][data-health="${health}"]`
    await page.waitForSelector(row('ok'), { timeout: 15_000 })
    // SIGSTOP: the process lives but answers nothing, so only its Consul check (every 2 s) can tell.
    await control.kill('feed', 'SIGSTOP')
    try {
      await page.waitForSelector(row('down'), { timeout: 10_000 })
      await page.screenshot({ path: screenshotPath('dashboard-instance-down.png'), fullPage: true })
    } finally {
      await control.kill('feed', 'SIGCONT')
    }
    await page.waitForSelector(row('ok'), { timeout: 20_000 })
    await control.kill('feed', 'SIGKILL')
    await page.waitForSelector(row('down'), { timeout: 10_000 })
    await page.waitForSelector(row('ok'), { timeout: 30_000 })
    expect(errors).toEqual([])
  },
  90_000,
)

test.skipIf(Boolean(skip))(
  'a check runs from the page and its HTML report draws its charts',
  async () => {
    await page.goto(`${dashboard}/checks`)
    await page.click('#run-check')
    await page.waitForSelector('#run-state[data-state="passed"], #run-state[data-state="failed"]', {
      timeout: 90_000,
    })
    expect(await page.getAttribute('#run-state', 'data-state')).toBe('passed')
    await page.screenshot({ path: screenshotPath('dashboard-checks.png'), fullPage: true })
    const report = await browser.newPage()
    const reportErrors: string[] = []
    report.on('console', (m) => m.type() === 'error' && reportErrors.push(m.text()))
    await report.goto(`${dashboard}/reports/check-report.html`)
    await report.waitForSelector('figure.plot canvas')
    expect((await canvasHasInk(report, 'figure.plot canvas')).every(Boolean)).toBe(true)
    expect(reportErrors).toEqual([])
    await report.close()
    expect(errors).toEqual([])
  },
  120_000,
)

test.skipIf(Boolean(skip))(
  'the dashboard refuses other origins and hosts, and bad input with 4xx',
  async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${dashboard}/api/runs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ kind: 'doctor' }),
      })
    const evil = await post({ 'content-type': 'application/json', origin: 'http://evil.example' })
    expect(evil.status).toBe(403)
    const form = await post({ 'content-type': 'text/plain', origin: new URL(dashboard).origin })
    expect(form.status).toBe(403)
    const rebound = await fetch(`${dashboard}/api/topology`, { headers: { host: 'evil.example' } })
    expect(rebound.status).toBe(403)
    expect((await fetch(`${dashboard}/api/traces/not-a-trace`)).status).toBe(400)
    expect((await fetch(`${dashboard}/api/logs?level=loud`)).status).toBe(400)
    expect((await fetch(`${dashboard}/nowhere`)).status).toBe(404)
    const kill = await fetch(`${dashboard}/api/processes/nobody/kill`, { method: 'POST' })
    expect(kill.status).toBe(404)
    expect(kill.headers.get('content-type')).toContain('application/problem+json')
  },
)

test.skipIf(Boolean(skip))(
  'a short replay’s HTML report opens with no console errors and draws its charts',
  async () => {
    const dataSet = join(
      import.meta.dir,
      '..',
      '..',
      '..',
      '..',
      'shared',
      'data',
      'soc-Epinions1.txt',
    )
    if (!(await Bun.file(dataSet).exists())) {
      console.log(`SKIPPED: replay report test: ${dataSet} is not on this machine`)
      return
    }
    const report = join(harness.dataDir, 'replay-report.json')
    const replay = Bun.spawn(
      [
        process.execPath,
        cli,
        'replay',
        '--gateway',
        harness.stack.gateway,
        '--users',
        '20',
        '--duration',
        '3',
        '--rate',
        '5',
        '--report',
        report,
      ],
      { stdout: 'ignore', stderr: 'ignore' },
    )
    expect(await replay.exited).toBe(0)
    const p = await watchedPage(browser)
    await p.page.goto(`file://${report.replace(/\.json$/, '.html')}`)
    await p.page.waitForSelector('figure.plot canvas')
    const inked = await canvasHasInk(p.page, 'figure.plot canvas')
    expect(inked.length).toBeGreaterThanOrEqual(5)
    expect(inked.every(Boolean)).toBe(true)
    expect(p.errors).toEqual([])
    await p.page.screenshot({ path: screenshotPath('replay-report.png'), fullPage: true })
    await p.page.close()
  },
  120_000,
)
