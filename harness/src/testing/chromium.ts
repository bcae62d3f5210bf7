/**
 * Headless Chromium for the page tests: Debian's `chromium` (installed by
 * `.ci/run`), or `CHROMIUM_PATH`, driven by playwright-core. Each page records
 * its console errors and uncaught exceptions so a test can assert there were none.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

/** The Chromium binary, or null when this machine has none. */
export function chromiumPath(): string | null {
  const given = process.env.CHROMIUM_PATH
  if (given) return existsSync(given) ? given : null
  return candidates.find((c) => existsSync(c)) ?? null
}

/** Why browser tests cannot run here, or null when they can. */
export function noChromiumReason(): string | null {
  return chromiumPath()
    ? null
    : 'no Chromium (apt-get install chromium, as .ci/run does, or set CHROMIUM_PATH)'
}

/**
 * @throws when there is no Chromium (check noChromiumReason first).
 * @example const browser = await launchChromium(); const page = await browser.newPage()
 */
export async function launchChromium(): Promise<Browser> {
  const path = chromiumPath()
  if (!path) throw new Error(noChromiumReason()!)
  return chromium.launch({
    executablePath: path,
    headless: true,
    // No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  })
}

/** A page whose console errors and page errors collect in `errors`. */
export async function watchedPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  return { page, errors }
}

/** Where tests save screenshots: `.data/screenshots/` under the project root. */
export function screenshotPath(name: string): string {
  const dir = join(import.meta.dir, '..', '..', '..', '.data', 'screenshots')
  mkdirSync(dir, { recursive: true })
  return join(dir, name)
}

interface CanvasLike {
  width: number
  height: number
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray }
  } | null
}

/** Whether a canvas drew anything: some pixel not fully transparent. */
export function canvasHasInk(page: Page, selector: string): Promise<boolean[]> {
  return page.$$eval(selector, (canvases) =>
    // Runs in the page; typed loosely because this module compiles without DOM types.
    (canvases as unknown as CanvasLike[]).map((c) => {
      const ctx = c.getContext('2d')
      if (!ctx || c.width === 0 || c.height === 0) return false
      const data = ctx.getImageData(0, 0, c.width, c.height).data
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true
      return false
    }),
  )
}
