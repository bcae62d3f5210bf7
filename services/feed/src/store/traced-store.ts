/**
 * A FeedStore whose every call is a CLIENT span (`feed-store <method>`, with
 * `db.system.name` naming Redis, Upstash or memory), so a trace shows the read
 * model's writes under the consumed event that caused them. Used only when
 * tracing is on.
 */
import { inSpan, SpanKind } from '@civildiy/kit'
import type { FeedStore } from './feed-store.ts'

/** @example const store = tracingEnabled() ? tracedStore(raw, 'redis') : raw */
export function tracedStore(store: FeedStore, system: string): FeedStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function' || typeof name !== 'string') return value
      return (...args: unknown[]) =>
        inSpan(
          `feed-store ${name}`,
          SpanKind.CLIENT,
          { 'db.system.name': system, 'db.operation.name': name },
          () => Promise.resolve(value.apply(target, args)),
        )
    },
  })
}
