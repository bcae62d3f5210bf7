/**
 * Keeps a set of named child processes running, as compose's
 * `restart: unless-stopped` does: a child that exits without being asked to is
 * started again after a capped exponential backoff (`baseMs` × 2^(n-1), at most
 * `capMs`; n counts the restarts since the child last ran `stableMs`), and every
 * exit and restart is printed. A child stopped on purpose (`stop`) stays down
 * until started again. `kill` sends a signal as a crash would (the drills use it).
 */
import { type ChildProcess, startChild } from './child-process.ts'

export interface ProcessSpec {
  name: string
  /** `server` (Kafka, MongoDB, Consul) or `service` (a deployable); shown in the status. */
  kind: 'server' | 'service'
  cmd: string[]
  env: Record<string, string | undefined>
  /** Where it serves, for the status table. */
  url: string
  /** Resolves true once the process serves (polled every 25 ms). */
  ready: () => Promise<boolean>
  /** The same process on another port: how `clone` adds a second instance. */
  withPort?: (port: number) => ProcessSpec
}

export type ProcessState = 'starting' | 'running' | 'backoff' | 'stopped'

export interface ProcessStatus {
  name: string
  kind: 'server' | 'service'
  url: string
  pid: number | null
  state: ProcessState
  /** Restarts after unexpected exits since `harness up` started. */
  restarts: number
  /** How the last unexpected exit ended, e.g. `signal SIGKILL` or `code 1`. */
  lastExit: string | null
  /** Ms from its last spawn to ready. */
  readyMs: number | null
}

export interface RestartPolicy {
  baseMs: number
  capMs: number
  /** A child that ran this long before exiting starts again from `baseMs`. */
  stableMs: number
}

export const defaultRestartPolicy: RestartPolicy = { baseMs: 500, capMs: 15_000, stableMs: 30_000 }

interface Entry {
  spec: ProcessSpec
  child: ChildProcess | null
  state: ProcessState
  restarts: number
  streak: number
  lastExit: string | null
  readyMs: number | null
  spawnedAt: number
  /** Bumped on every spawn and stop, so a late exit of an old child is ignored. */
  generation: number
  timer?: ReturnType<typeof setTimeout>
}

export interface Supervisor {
  add(spec: ProcessSpec): void
  /** Spawns it and resolves once ready. @throws StartFailed when it exits or times out first. */
  start(name: string, timeoutMs?: number): Promise<void>
  /** Graceful stop (SIGTERM, then SIGKILL); not restarted until `start`. */
  stop(name: string): Promise<void>
  restart(name: string): Promise<void>
  /** Sends `signal` as a crash would: the child is restarted per the policy. */
  kill(name: string, signal: NodeJS.Signals): void
  /**
   * Starts one more instance of `name` on `port`, supervised like the rest, as
   * `<name>-2` (or the next free suffix); resolves with its name once ready.
   * @throws when the process cannot run elsewhere (servers) or does not start.
   */
  clone(name: string, port: number): Promise<string>
  /** Stops a clone and forgets it. @throws for a process that is not a clone. */
  remove(name: string): Promise<void>
  /** After this, unexpected exits are restarted (during start-up they fail the start instead). */
  supervise(): void
  status(): ProcessStatus[]
  names(): string[]
  /** Calls `listener` on every change of a process's state; returns the unsubscribe function. */
  onChange(listener: (name: string, state: ProcessState) => void): () => void
  /** Stops every child, in the given order, and restarts nothing any more. */
  stopAll(order: string[]): Promise<void>
}

/** A child exited or did not become ready; `tail` is its last output. */
export class StartFailed extends Error {
  constructor(
    readonly processName: string,
    reason: string,
    readonly tail: string[],
  ) {
    super(`${processName} ${reason}`)
  }
}

/**
 * @example
 * const sup = createSupervisor((line) => console.log(line))
 * sup.add({ name: 'feed', kind: 'service', cmd, env, url, ready: () => probe(url) })
 * await sup.start('feed'); sup.supervise()
 */
export function createSupervisor(
  print: (line: string) => void,
  policy: RestartPolicy = defaultRestartPolicy,
  /** Sees each raw output line of each child; false keeps it off `print` (the dashboard's log feed). */
  output?: (name: string, raw: string) => boolean,
): Supervisor {
  const entries = new Map<string, Entry>()
  const clones = new Set<string>()
  let supervising = false
  let closing = false
  const say = (line: string) => print(`harness | ${line}`)
  const listeners = new Set<(name: string, state: ProcessState) => void>()
  const setState = (e: Entry, state: ProcessState) => {
    e.state = state
    for (const l of listeners) l(e.spec.name, state)
  }
  const entry = (name: string) => {
    const e = entries.get(name)
    if (!e) throw new Error(`no process named ${name}; known: ${[...entries.keys()].join(', ')}`)
    return e
  }

  const onExit = (e: Entry, generation: number, code: number | null, signal: string | null) => {
    if (generation !== e.generation || e.state === 'stopped' || closing) return
    e.lastExit = signal ? `signal ${signal}` : `code ${code}`
    e.child = null
    if (!supervising) {
      setState(e, 'stopped')
      return
    }
    const ranMs = performance.now() - e.spawnedAt
    e.streak = ranMs >= policy.stableMs ? 1 : e.streak + 1
    const delay = Math.min(policy.capMs, policy.baseMs * 2 ** (e.streak - 1))
    setState(e, 'backoff')
    e.restarts++
    say(`${e.spec.name} exited (${e.lastExit}); restarting in ${delay} ms (restart ${e.restarts})`)
    e.timer = setTimeout(() => {
      if (e.state !== 'backoff' || closing) return
      spawnAndWait(e, 60_000).then(
        () => say(`${e.spec.name} is back (pid ${e.child?.proc.pid}, ready in ${e.readyMs} ms)`),
        (err: Error) => say(`${e.spec.name} did not come back: ${err.message}`),
      )
    }, delay)
  }

  const spawnAndWait = async (e: Entry, timeoutMs: number) => {
    const generation = ++e.generation
    setState(e, 'starting')
    e.spawnedAt = performance.now()
    const name = e.spec.name
    const child = startChild(
      name,
      e.spec.cmd,
      e.spec.env,
      print,
      40,
      output && ((raw) => output(name, raw)),
    )
    e.child = child
    void child.proc.exited.then(() =>
      onExit(
        e,
        generation,
        child.proc.exitCode,
        child.proc.signalCode ? String(child.proc.signalCode) : null,
      ),
    )
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (child.proc.exitCode !== null || child.proc.signalCode) {
        throw new StartFailed(
          e.spec.name,
          `exited (${child.proc.exitCode ?? child.proc.signalCode}) before it was ready`,
          child.tail(),
        )
      }
      if (await e.spec.ready().catch(() => false)) break
      if (Date.now() > deadline)
        throw new StartFailed(e.spec.name, 'was not ready in time', child.tail())
      await Bun.sleep(25)
    }
    if (generation !== e.generation) return
    setState(e, 'running')
    e.readyMs = Math.round(performance.now() - e.spawnedAt)
  }

  const stopOne = async (e: Entry) => {
    clearTimeout(e.timer)
    e.generation++
    setState(e, 'stopped')
    const child = e.child
    e.child = null
    if (child) await child.stop()
  }

  return {
    add(spec) {
      entries.set(spec.name, {
        spec,
        child: null,
        state: 'stopped',
        restarts: 0,
        streak: 0,
        lastExit: null,
        readyMs: null,
        spawnedAt: 0,
        generation: 0,
      })
    },
    async start(name, timeoutMs = 60_000) {
      const e = entry(name)
      if (e.state === 'running' || e.state === 'starting') return
      clearTimeout(e.timer)
      await spawnAndWait(e, timeoutMs)
    },
    stop: (name) => stopOne(entry(name)),
    async restart(name) {
      await stopOne(entry(name))
      await spawnAndWait(entry(name), 60_000)
    },
    kill(name, signal) {
      const e = entry(name)
      if (!e.child) throw new Error(`${name} is not running (${e.state})`)
      e.child.proc.kill(signal)
    },
    async clone(name, port) {
      const e = entry(name)
      if (!e.spec.withPort) throw new Error(`${name} cannot run a second instance`)
      let n = 2
      while (entries.has(`${name}-${n}`)) n++
      const spec = { ...e.spec.withPort(port), name: `${name}-${n}` }
      this.add(spec)
      clones.add(spec.name)
      await spawnAndWait(entry(spec.name), 60_000)
      return spec.name
    },
    async remove(name) {
      if (!clones.has(name)) throw new Error(`${name} is not a clone; stop it instead`)
      await stopOne(entry(name))
      entries.delete(name)
      clones.delete(name)
    },
    supervise() {
      supervising = true
    },
    status: () =>
      [...entries.values()].map((e) => ({
        name: e.spec.name,
        kind: e.spec.kind,
        url: e.spec.url,
        pid: e.child?.proc.pid ?? null,
        state: e.state,
        restarts: e.restarts,
        lastExit: e.lastExit,
        readyMs: e.readyMs,
      })),
    names: () => [...entries.keys()],
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async stopAll(order) {
      closing = true
      for (const name of order) {
        const e = entries.get(name)
        if (e) await stopOne(e)
      }
    },
  }
}
