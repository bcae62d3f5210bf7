/**
 * Parses a Redis XRANGE / XREVRANGE reply of the change log, as both Redis
 * adapters receive it: `[[id, [field, value, ...]], ...]`, where the first value
 * is the post id (https://redis.io/docs/latest/commands/xrange/).
 */
import type { ChangeEntry } from './feed-store.ts'

/** @example changeEntries([['1-0', ['p', 'post-1']]]) // [{ id: '1-0', member: 'post-1' }] */
export function changeEntries(reply: unknown): ChangeEntry[] {
  return ((reply ?? []) as [unknown, unknown[]][]).map(([id, fields]) => ({
    id: String(id),
    member: String(fields[1]),
  }))
}
