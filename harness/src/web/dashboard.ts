/**
 * The dashboard's script: opens the live stream, marks the current page in the
 * navigation and renders the page the path names (/_dev/<page>, /_dev/traces/<id>).
 */
import { render } from 'preact'
import { ChecksPage } from './dashboard/checks-page.ts'
import { EventsPage } from './dashboard/events-page.ts'
import { html } from './dashboard/html.ts'
import { connectLive } from './dashboard/live.ts'
import { LogsPage } from './dashboard/logs-page.ts'
import { TopologyPage } from './dashboard/topology-page.ts'
import { TracesPage } from './dashboard/traces-page.ts'
import { WaterfallPage } from './dashboard/waterfall-page.ts'

const app = document.getElementById('app')!
const [, , page = 'topology', id] = location.pathname.split('/')
for (const a of document.querySelectorAll<HTMLAnchorElement>('header a[data-page]'))
  a.classList.toggle('active', a.dataset.page === page)
document.title = `${page} · CivilDIY dashboard`
connectLive(document.getElementById('live'))
const drills = (app.dataset.drills ?? '').split(',').filter(Boolean)
const view =
  page === 'traces' && id
    ? html`<${WaterfallPage} traceId=${id} />`
    : page === 'traces'
      ? html`<${TracesPage} />`
      : page === 'events'
        ? html`<${EventsPage} />`
        : page === 'logs'
          ? html`<${LogsPage} />`
          : page === 'checks'
            ? html`<${ChecksPage} drills=${drills} />`
            : html`<${TopologyPage} />`
render(view, app)
