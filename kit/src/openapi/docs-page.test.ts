/**
 * The API docs page and its two assets, served by the process itself; any other
 * asset name (an object's own keys among them) is a 404 problem, never a 500.
 */
import { expect, test } from 'bun:test'
import { docsRoutes } from './docs-page.ts'

const app = docsRoutes({ title: 'A <b>title</b>', pagePath: '/docs', specUrl: '/openapi/json' })
const get = (path: string) => app.handle(new Request(`http://localhost${path}`))

test('the page escapes its title and links its assets, which are served with their types', async () => {
  const page = await (await get('/docs')).text()
  expect(page).toContain('<title>A &lt;b&gt;title&lt;/b&gt;</title>')
  const css = await get('/docs/assets/swagger-ui.css')
  expect(css.status).toBe(200)
  expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
  expect((await css.text()).length).toBeGreaterThan(10_000)
  const js = await get('/docs/assets/swagger-ui-bundle.js')
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
})

test('an unknown asset, or a name an object has built in, is a 404 problem', async () => {
  for (const name of [
    'nope.js',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '..%2fpackage.json',
  ]) {
    const res = await get(`/docs/assets/${name}`)
    expect({ name, status: res.status }).toEqual({ name, status: 404 })
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  }
})
