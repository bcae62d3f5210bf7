/**
 * Mounts the dashboard on the harness's port once the stack is up: a Kafka
 * inspector, the event statistics, the command runner and the refresh loop,
 * over the supervisor, the log buffer and the trace store `harness up` already
 * holds. Returns what to stop on exit.
 */
import { join } from 'node:path'
import { freePort } from '@civildiy/devstack'
import { createLogger, openKafkaInspector } from '@civildiy/kit'
import { drills } from '../drill/drills.ts'
import type { TraceStore } from '../traces/otlp-receiver.ts'
import type { Supervisor } from '../up/supervisor.ts'
import { createCommandRunner } from './command-runs.ts'
import { dashboardApp } from './dashboard-app.ts'
import { startDashboardLoop } from './dashboard-loop.ts'
import { createEventView } from './event-view.ts'
import type { HarnessServer } from './harness-server.ts'
import { createLiveHub } from './live-hub.ts'
import type { LogBuffer } from './log-buffer.ts'

export interface DashboardOptions {
  server: HarnessServer
  supervisor: Supervisor
  logs: LogBuffer
  traces: TraceStore
  consul: string
  gateway: string
  kafka: string
  services: readonly string[]
  /** `<DATA_DIR>`: reports go to its `dashboard/` folder. */
  dataDir: string
  stackFile: string
}

const cli = join(import.meta.dir, '..', 'cli.ts')

/**
 * @returns the dashboard's URL and a function that stops it.
 * @example const dashboard = mountDashboard({ server, supervisor, logs, traces, ... })
 */
export function mountDashboard(o: DashboardOptions): { url: string; stop: () => Promise<void> } {
  // The inspector's client logs nothing: an outage shows on the page, not as retry noise.
  const kafka = openKafkaInspector({
    brokers: o.kafka.split(','),
    clientId: 'harness-dashboard',
    logger: createLogger({ service: 'harness-dashboard', level: 'silent' }),
  })
  const hub = createLiveHub()
  const reportsDir = join(o.dataDir, 'dashboard')
  const runs = createCommandRunner({ cli, reportsDir, ...o })
  const loop = startDashboardLoop({
    hub,
    stack: {
      status: () => o.supervisor.status(),
      consul: o.consul,
      gateway: o.gateway,
      kafka,
      eventFlows: () => o.traces.flows(),
      services: o.services,
    },
    events: createEventView(kafka),
    logs: o.logs,
    traces: o.traces,
    runs,
    onProcessChange: (listener) => o.supervisor.onChange(listener),
  })
  const reports = new Set(['check-report.html', 'drill-report.html'])
  const app = dashboardApp({
    loop,
    hub,
    logs: o.logs,
    traces: o.traces,
    runs,
    supervisor: o.supervisor,
    freePort,
    drills: drills.map((d) => d.name),
    async report(name) {
      if (!reports.has(name)) return null
      const file = Bun.file(join(reportsDir, name))
      return (await file.exists()) ? file : null
    },
  })
  o.server.mount((request) => app.handle(request))
  return {
    url: `${o.server.url}/_dev`,
    async stop() {
      loop.stop()
      hub.close()
      await kafka.close()
    },
  }
}
