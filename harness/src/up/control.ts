/**
 * The control socket of a running `harness up`: a small HTTP API on a Unix socket
 * (`.data/harness.sock`), so `harness status|stop|start|restart|kill NAME` and the
 * drills can act on one process of the stack.
 *
 * GET /status → ProcessStatus[]; POST /processes/NAME/{stop,start,restart} → the
 * process's status once done; POST /processes/NAME/kill?signal=SIGKILL → 202;
 * POST /processes/NAME/clone → a second instance on a free port (`{ name }`);
 * POST /processes/NAME/remove → a clone stopped and forgotten.
 * Errors are problem+json: 404 for an unknown process, 400 for a bad action.
 */
import { existsSync, rmSync } from 'node:fs'
import { freePort } from '@civildiy/devstack'
import { problemResponse } from '@civildiy/kit'
import type { ProcessStatus, Supervisor } from './supervisor.ts'

const ACTIONS = new Set(['stop', 'start', 'restart', 'kill', 'clone', 'remove'])
const SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGSTOP', 'SIGCONT'])

/**
 * @returns a function that closes the socket and removes its file.
 * @example const close = serveControl(supervisor, '.data/harness.sock')
 */
export function serveControl(supervisor: Supervisor, socketPath: string): () => void {
  if (existsSync(socketPath)) rmSync(socketPath)
  const server = Bun.serve({
    unix: socketPath,
    fetch: (request) => handle(supervisor, request),
  })
  return () => {
    server.stop(true)
    rmSync(socketPath, { force: true })
  }
}

async function handle(supervisor: Supervisor, request: Request): Promise<Response> {
  const url = new URL(request.url)
  if (request.method === 'GET' && url.pathname === '/status')
    return Response.json(supervisor.status())
  const m = /^\/processes\/([\w-]+)\/(\w+)$/.exec(url.pathname)
  if (request.method !== 'POST' || !m)
    return problemResponse({
      status: 404,
      code: 'not_found',
      detail: `No ${request.method} ${url.pathname}`,
    })
  const [, name, action] = m as unknown as [string, string, string]
  if (!supervisor.names().includes(name))
    return problemResponse({
      status: 404,
      code: 'unknown_process',
      detail: `No process named ${name}; known: ${supervisor.names().join(', ')}`,
    })
  if (!ACTIONS.has(action))
    return problemResponse({
      status: 400,
      code: 'bad_action',
      detail: `Actions: ${[...ACTIONS].join(', ')}`,
    })
  try {
    if (action === 'kill') {
      const signal = url.searchParams.get('signal') ?? 'SIGKILL'
      if (!SIGNALS.has(signal))
        return problemResponse({
          status: 400,
          code: 'bad_signal',
          detail: `Signals: ${[...SIGNALS].join(', ')}`,
        })
      supervisor.kill(name, signal as NodeJS.Signals)
      return Response.json({ name, signal }, { status: 202 })
    }
    if (action === 'clone')
      return Response.json({ name: await supervisor.clone(name, await freePort()) })
    if (action === 'remove') {
      await supervisor.remove(name)
      return new Response(null, { status: 204 })
    }
    await supervisor[action as 'stop' | 'start' | 'restart'](name)
    return Response.json(supervisor.status().find((s) => s.name === name))
  } catch (err) {
    return problemResponse({ status: 409, code: 'conflict', detail: (err as Error).message })
  }
}

/** A client for the control socket. */
export interface ControlClient {
  status(): Promise<ProcessStatus[]>
  act(name: string, action: 'stop' | 'start' | 'restart'): Promise<ProcessStatus>
  kill(name: string, signal?: NodeJS.Signals): Promise<void>
  /** A second instance of `name`; resolves with its process name. */
  clone(name: string): Promise<string>
  remove(name: string): Promise<void>
}

/**
 * @throws on each call when no harness answers on the socket, or with the problem's detail.
 * @example await controlClient('.data/harness.sock').act('kafka', 'stop')
 */
export function controlClient(socketPath: string): ControlClient {
  const call = async (method: string, path: string) => {
    const res = await fetch(`http://harness${path}`, { method, unix: socketPath }).catch(() => {
      throw new Error(`no running harness answers on ${socketPath} (is \`npm start\` running?)`)
    })
    const body = res.status === 204 ? null : await res.json()
    if (!res.ok) throw new Error((body as { detail?: string }).detail ?? `HTTP ${res.status}`)
    return body
  }
  return {
    status: () => call('GET', '/status') as Promise<ProcessStatus[]>,
    act: (name, action) => call('POST', `/processes/${name}/${action}`) as Promise<ProcessStatus>,
    clone: async (name) =>
      ((await call('POST', `/processes/${name}/clone`)) as { name: string }).name,
    remove: async (name) => void (await call('POST', `/processes/${name}/remove`)),
    kill: async (name, signal = 'SIGKILL') =>
      void (await call('POST', `/processes/${name}/kill?signal=${signal}`)),
  }
}
