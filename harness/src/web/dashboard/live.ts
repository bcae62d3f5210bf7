/**
 * The page's one connection to `/_dev/api/live` (Server-Sent Events): keeps the
 * latest value of each named event and calls the listeners of that name.
 */
import { useEffect, useState } from 'preact/hooks'

type Listener = (data: unknown) => void
const listeners = new Map<string, Set<Listener>>()
const latest = new Map<string, unknown>()
const EVENTS = ['topology', 'events', 'logs', 'traces', 'run']

/** Opens the stream; `status` shows whether it is live. */
export function connectLive(status: HTMLElement | null) {
  const source = new EventSource('/_dev/api/live')
  source.onopen = () => {
    if (status) status.textContent = '● live'
  }
  source.onerror = () => {
    if (status) status.textContent = '○ reconnecting…'
  }
  for (const name of EVENTS)
    source.addEventListener(name, (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as unknown
      latest.set(name, data)
      for (const l of listeners.get(name) ?? []) l(data)
    })
}

/** Calls `fn` with each value of the event; returns the unsubscribe function. */
export function onLive<T>(name: string, fn: (data: T) => void): () => void {
  const set = listeners.get(name) ?? new Set()
  listeners.set(name, set)
  set.add(fn as Listener)
  return () => set.delete(fn as Listener)
}

/** The latest value of a live event, re-rendering on each new one. */
export function useLive<T>(name: string): T | undefined {
  const [value, setValue] = useState<T | undefined>(latest.get(name) as T | undefined)
  useEffect(() => onLive<T>(name, setValue), [name])
  return value
}
