/**
 * The dashboard's HTTP API and pages under `/_dev` (Elysia): the page shell and
 * its bundled script, JSON readings (topology, events, traces, logs, the current
 * run), the live stream, actions (run a check, doctor or drill; kill, restart,
 * clone or remove a process) and the HTML reports of runs. Served only by the
 * harness on a loopback port, never by the gateway.
 */
import { problemResponse } from '@civildiy/kit'
import { Elysia, t } from 'elysia'
import { browserBundle, plotStylesheet } from '../report/browser-bundle.ts'
import type { TraceStore } from '../traces/otlp-receiver.ts'
import { traceQueryOf } from '../traces/otlp-receiver.ts'
import type { Supervisor } from '../up/supervisor.ts'
import { type CommandRunner, RunInProgress } from './command-runs.ts'
import { type DashboardLoop, runSummary } from './dashboard-loop.ts'
import { dashboardShell } from './dashboard-shell.ts'
import type { LiveHub } from './live-hub.ts'
import type { LogBuffer, LogLevel } from './log-buffer.ts'

export interface DashboardAppDeps {
  loop: DashboardLoop
  hub: LiveHub
  logs: LogBuffer
  traces: TraceStore
  runs: CommandRunner
  /** For the process actions (kill, restart, clone, remove). */
  supervisor: Pick<Supervisor, 'names' | 'kill' | 'restart' | 'clone' | 'remove'>
  freePort(): Promise<number>
  drills: readonly string[]
  /** Reads a report of a run by file name (check-report.html, drill-report.html), or null. */
  report(name: string): Promise<Blob | null>
}

const PAGES = ['topology', 'traces', 'events', 'logs', 'checks'] as const
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

const notFound = (detail: string) => problemResponse({ status: 404, code: 'not_found', detail })

/** The pages and their assets. */
function pageRoutes(d: DashboardAppDeps) {
  const shell = () =>
    new Response(dashboardShell({ drills: d.drills }), {
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    })
  return new Elysia()
    .get('/_dev', ({ redirect }) => redirect('/_dev/topology'))
    .get('/_dev/', ({ redirect }) => redirect('/_dev/topology'))
    .get('/_dev/:page', ({ params }) =>
      (PAGES as readonly string[]).includes(params.page)
        ? shell()
        : notFound(`No page ${params.page}`),
    )
    .get('/_dev/traces/:id', shell)
    .get('/_dev/assets/dashboard.js', async () => {
      return new Response(await browserBundle('dashboard'), {
        headers: { 'content-type': 'text/javascript; charset=utf-8' },
      })
    })
    .get('/_dev/assets/uplot.css', async () => {
      return new Response(await plotStylesheet(), { headers: { 'content-type': 'text/css' } })
    })
    .get('/_dev/reports/:name', async ({ params }) => {
      const file = await d.report(params.name)
      return file
        ? new Response(file, { headers: { 'content-type': 'text/html; charset=utf-8' } })
        : notFound(`No report ${params.name} yet: run a check or a drill first`)
    })
}

/** Readings: topology, events, traces, logs, the live stream. */
function readingRoutes(d: DashboardAppDeps) {
  return new Elysia()
    .get('/_dev/api/topology', async () => d.loop.topology() ?? (await d.loop.refresh()))
    .get('/_dev/api/events', () => d.loop.events())
    .get('/_dev/api/traces', ({ request }) =>
      d.traces.traces(traceQueryOf(new URL(request.url).searchParams)),
    )
    .get('/_dev/api/traces/:id', ({ params }) =>
      /^[0-9a-f]{32}$/.test(params.id)
        ? d.traces.trace(params.id)
        : problemResponse({
            status: 400,
            code: 'bad_trace_id',
            detail: 'A trace id is 32 hex digits',
          }),
    )
    .get(
      '/_dev/api/logs',
      ({ query }) =>
        d.logs.query({
          process: query.process || undefined,
          level: query.level as LogLevel | undefined,
          requestId: query.requestId || undefined,
          traceId: query.traceId || undefined,
          text: query.text || undefined,
          after: query.after,
          probes: query.probes === 'true',
          limit: query.limit ?? 500,
        }),
      {
        query: t.Object({
          process: t.Optional(t.String({ maxLength: 100 })),
          level: t.Optional(t.UnionEnum(LEVELS)),
          requestId: t.Optional(t.String({ maxLength: 200 })),
          traceId: t.Optional(t.String({ maxLength: 64 })),
          text: t.Optional(t.String({ maxLength: 200 })),
          after: t.Optional(t.Numeric({ minimum: 0 })),
          limit: t.Optional(t.Numeric({ minimum: 1, maximum: 5_000 })),
          probes: t.Optional(t.UnionEnum(['true', 'false'])),
        }),
      },
    )
    .get('/_dev/api/live', ({ request }) => {
      const run = d.runs.current()
      return d.hub.connect(request.signal, [
        ...(d.loop.topology() ? [{ event: 'topology', data: d.loop.topology() }] : []),
        { event: 'events', data: d.loop.events() },
        ...(run ? [{ event: 'run', data: { run: runSummary(run), line: null } }] : []),
      ])
    })
}

const ACTIONS = ['kill', 'restart', 'clone', 'remove'] as const

/** Actions: runs and process control. */
function actionRoutes(d: DashboardAppDeps) {
  return (
    new Elysia()
      // `null` before the first run: nothing wrong, nothing to show.
      .get('/_dev/api/runs/current', () => Response.json(d.runs.current()))
      .post(
        '/_dev/api/runs',
        ({ body, set }) => {
          if (body.kind === 'drill' && body.drill && !d.drills.includes(body.drill))
            return problemResponse({
              status: 400,
              code: 'unknown_drill',
              detail: `Drills: ${d.drills.join(', ')}`,
            })
          try {
            set.status = 202
            return runSummary(d.runs.start(body.kind, body.drill))
          } catch (err) {
            if (!(err instanceof RunInProgress)) throw err
            return problemResponse({ status: 409, code: 'run_in_progress', detail: err.message })
          }
        },
        {
          body: t.Object({
            kind: t.UnionEnum(['check', 'doctor', 'drill']),
            drill: t.Optional(t.String({ maxLength: 50 })),
          }),
        },
      )
      .post(
        '/_dev/api/processes/:name/:action',
        async ({ params }) => {
          if (!d.supervisor.names().includes(params.name))
            return notFound(`No process ${params.name}; known: ${d.supervisor.names().join(', ')}`)
          try {
            if (params.action === 'kill') d.supervisor.kill(params.name, 'SIGKILL')
            else if (params.action === 'restart') await d.supervisor.restart(params.name)
            else if (params.action === 'clone')
              return { name: await d.supervisor.clone(params.name, await d.freePort()) }
            else await d.supervisor.remove(params.name)
            return { name: params.name, action: params.action }
          } catch (err) {
            return problemResponse({
              status: 409,
              code: 'conflict',
              detail: (err as Error).message,
            })
          }
        },
        { params: t.Object({ name: t.String({ maxLength: 100 }), action: t.UnionEnum(ACTIONS) }) },
      )
  )
}

/**
 * @example const app = dashboardApp(deps); Bun.serve({ fetch: app.fetch })
 */
export function dashboardApp(d: DashboardAppDeps) {
  return new Elysia()
    .onError(({ code, error }) => {
      if (code === 'VALIDATION')
        return problemResponse({
          status: 400,
          code: 'bad_request',
          detail: (error as { message?: string }).message?.slice(0, 300) ?? 'invalid request',
        })
      if (code === 'NOT_FOUND') return notFound('No such dashboard path')
      if (code === 'PARSE')
        return problemResponse({ status: 400, code: 'bad_request', detail: 'The body is not JSON' })
      return problemResponse({ status: 500, code: 'internal', detail: 'The dashboard failed' })
    })
    .use(pageRoutes(d))
    .use(readingRoutes(d))
    .use(actionRoutes(d))
}
