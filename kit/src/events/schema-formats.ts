/**
 * The string formats event schemas use (date-time, uuid, email, uri), registered
 * with TypeBox on first use. Elysia registers its own when it is imported; a process
 * that validates events without Elysia (a pure consumer, a script) would otherwise
 * reject every event, since TypeBox fails an unknown format.
 * Sources: RFC 3339 §5.6 (date-time), RFC 9562 (uuid), RFC 3986 (uri).
 */
import { FormatRegistry } from '@sinclair/typebox'

const formats: Record<string, (value: string) => boolean> = {
  'date-time': (v) =>
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) &&
    !Number.isNaN(Date.parse(v)),
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  email: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v),
  uri: (v) => URL.canParse(v) && /^[a-z][a-z0-9+.-]*:/i.test(v),
}

let registered = false

/** Registers each format not registered yet (Elysia's, when present, are kept). */
export function ensureEventFormats(): void {
  if (registered) return
  registered = true
  for (const [name, check] of Object.entries(formats))
    if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check)
}
