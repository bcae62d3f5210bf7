/**
 * What ships: each deployable bundled as its production build bundles it carries
 * none of the devstack (no PGlite, no mingo, no stand-in server). The services get
 * their servers' URLs from outside; the stand-ins stay in development tooling.
 * And the API docs page's assets are in it.
 */
import { expect, test } from 'bun:test'
import { mainOf } from './stack-helpers.ts'

test.each(['auth', 'profile', 'posts', 'feed', 'search', 'notifications', 'gateway'])(
  '%s bundles no devstack code',
  async (name) => {
    const build = await Bun.build({ entrypoints: [mainOf(name)], target: 'bun' })
    expect(build.success).toBe(true)
    const text = (await Promise.all(build.outputs.map((o) => o.text()))).join('\n')
    expect(text.length).toBeGreaterThan(100_000)
    for (const marker of ['devstack/src/', 'node_modules/mingo/', '@electric-sql/pglite'])
      expect({ name, marker, found: text.includes(marker) }).toEqual({ name, marker, found: false })
    // The docs page's assets ship inside the build, so /openapi works in the images.
    const assets = build.outputs.filter((o) => o.kind === 'asset').map((o) => o.path)
    expect(assets.some((p) => /swagger-ui-bundle-\w+\.js$/.test(p))).toBe(true)
    expect(assets.some((p) => /swagger-ui-\w+\.css$/.test(p))).toBe(true)
  },
  60_000,
)
