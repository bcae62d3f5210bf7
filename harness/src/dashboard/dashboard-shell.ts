/** The one HTML page every dashboard path serves; the bundled script renders the page its path names. */
const html = Bun.escapeHTML

/**
 * @example new Response(dashboardShell({ drills: ['feed-crash'] }), { headers: { 'content-type': 'text/html' } })
 */
export function dashboardShell(o: { drills: readonly string[] }): string {
  const nav = ['topology', 'traces', 'events', 'logs', 'checks']
    .map((p) => `<a href="/_dev/${p}" data-page="${p}">${p[0]!.toUpperCase()}${p.slice(1)}</a>`)
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CivilDIY dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_dev/assets/uplot.css">
<style>
:root { --ok: #16a34a; --warn: #d97706; --down: #dc2626; --muted: #6b7280; --line: #e5e7eb }
* { box-sizing: border-box } body { font: 14px system-ui, sans-serif; margin: 0; color: #111827; background: #f9fafb }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #111827; color: #fff }
header a { color: #d1d5db; text-decoration: none } header a.active { color: #fff; font-weight: 600; border-bottom: 2px solid #60a5fa }
header .brand { font-weight: 700; color: #fff } header .live { margin-left: auto; font-size: 12px; color: #9ca3af }
main { padding: 1rem 1.2rem } h2 { font-size: 16px; margin: 1.2rem 0 .5rem }
table { border-collapse: collapse; background: #fff; width: 100% } th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; font-variant-numeric: tabular-nums }
th { font-weight: 600; color: #374151; background: #f3f4f6 } td.mono, .mono { font-family: ui-monospace, monospace; font-size: 12px }
.health { display: inline-block; padding: 0 .45rem; border-radius: 9px; color: #fff; font-size: 12px }
.health.ok { background: var(--ok) } .health.degraded { background: var(--warn) } .health.down { background: var(--down) }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem; margin-bottom: 1rem }
.filters { display: flex; gap: .5rem; flex-wrap: wrap; margin-bottom: .6rem } .filters input, .filters select { padding: .25rem .4rem }
.waterfall .row { display: grid; grid-template-columns: 340px 1fr 80px; gap: .5rem; align-items: center; border-bottom: 1px solid var(--line); padding: 2px 0; cursor: pointer }
.waterfall .bar { position: relative; height: 14px } .waterfall .bar span { position: absolute; height: 14px; border-radius: 3px; min-width: 2px }
.waterfall .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis } .waterfall .attrs { grid-column: 1 / -1; font-size: 12px; color: #374151; background: #f9fafb; padding: .3rem }
.lane { display: inline-block; padding: 0 .35rem; border-radius: 4px; color: #fff; font-size: 11px; margin-right: .3rem }
.error { color: var(--down); font-weight: 600 } .muted { color: var(--muted) } pre.output { background: #111827; color: #e5e7eb; padding: .6rem; max-height: 480px; overflow: auto; font-size: 12px }
button { padding: .3rem .7rem; cursor: pointer } .grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(620px, 1fr)); gap: 1rem }
.plot-target { font-size: 12px; color: var(--muted) }
svg text { font: 12px system-ui, sans-serif }
</style></head><body>
<header><span class="brand">CivilDIY</span>${nav}<span class="live" id="live">connecting…</span></header>
<main id="app" data-drills="${html(o.drills.join(','))}"><noscript>The dashboard needs JavaScript; the JSON behind it is under /_dev/api/.</noscript></main>
<script src="/_dev/assets/dashboard.js"></script>
</body></html>
`
}
