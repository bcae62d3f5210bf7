/**
 * CloudEvents 1.0 envelopes (structured JSON mode) with a TypeBox schema per event
 * type and version. The `dataschema` attribute names the version, so a consumer
 * validates `data` against the schema the producer used.
 * Source: https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 */
import { type Static, type TSchema, Type as t } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ensureEventFormats } from './schema-formats.ts'

/** The envelope's required and optional context attributes (spec §3.1). */
export const CloudEvent = t.Object({
  specversion: t.Literal('1.0'),
  id: t.String({ minLength: 1 }),
  source: t.String({ minLength: 1 }),
  type: t.String({ minLength: 1 }),
  time: t.String({ format: 'date-time' }),
  subject: t.Optional(t.String()),
  datacontenttype: t.Literal('application/json'),
  dataschema: t.String(),
  data: t.Unknown(),
})
export type CloudEvent<D = unknown> = Omit<Static<typeof CloudEvent>, 'data'> & { data: D }

/** An event type: its name, version and data schema. */
export interface EventDefinition<S extends TSchema = TSchema> {
  type: string
  version: number
  schema: S
  /** `https://civildiy.dev/schemas/<type>/v<version>` */
  dataschema: string
}

/**
 * @example
 * export const UserRegistered = defineEvent('user.registered', 1, t.Object({ userId: t.String(), email: t.String() }))
 */
export function defineEvent<S extends TSchema>(
  type: string,
  version: number,
  schema: S,
): EventDefinition<S> {
  return { type, version, schema, dataschema: `https://civildiy.dev/schemas/${type}/v${version}` }
}

/**
 * A new envelope with a UUIDv7 id (time-ordered) and the current time.
 * @throws Error when `data` does not match the event's schema (a producer bug).
 */
export function createEvent<S extends TSchema>(
  def: EventDefinition<S>,
  init: { source: string; subject?: string; data: Static<S>; time?: Date },
): CloudEvent<Static<S>> {
  ensureEventFormats()
  if (!Value.Check(def.schema, init.data)) {
    const first = Value.Errors(def.schema, init.data).First()
    throw new Error(
      `${def.type} v${def.version} data is invalid at ${first?.path || '/'}: ${first?.message}`,
    )
  }
  return { ...eventEnvelope(def, init), data: init.data }
}

/**
 * The envelope of a new event without its data, for events whose data is computed
 * where the write happens (e.g. a MongoDB pipeline update that fills in the new
 * version). The caller is responsible for data matching the event's schema.
 */
export function eventEnvelope(
  def: EventDefinition,
  init: { source: string; subject?: string; time?: Date },
): Omit<CloudEvent, 'data'> {
  const envelope: Omit<CloudEvent, 'data'> = {
    specversion: '1.0',
    id: Bun.randomUUIDv7(),
    source: init.source,
    type: def.type,
    time: (init.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    dataschema: def.dataschema,
  }
  if (init.subject !== undefined) envelope.subject = init.subject
  return envelope
}

/** Why a message is not a usable event; consumers send such messages to the dead-letter topic. */
export class InvalidEventError extends Error {
  override name = 'InvalidEventError'
}

/**
 * Parses and validates an envelope from a message value.
 * @throws InvalidEventError for non-JSON or an envelope missing required attributes.
 */
export function parseEvent(value: Uint8Array | string | null): CloudEvent {
  ensureEventFormats()
  if (value === null) throw new InvalidEventError('empty message')
  let parsed: unknown
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : new TextDecoder().decode(value))
  } catch {
    throw new InvalidEventError('message is not JSON')
  }
  if (!Value.Check(CloudEvent, parsed)) {
    const first = Value.Errors(CloudEvent, parsed).First()
    throw new InvalidEventError(
      `not a CloudEvents 1.0 envelope: ${first?.path || '/'} ${first?.message}`,
    )
  }
  return parsed as CloudEvent
}

/**
 * Validates an envelope's data against its definition.
 * @throws InvalidEventError when `dataschema` or `data` do not match.
 */
export function eventData<S extends TSchema>(
  def: EventDefinition<S>,
  event: CloudEvent,
): Static<S> {
  ensureEventFormats()
  if (event.dataschema !== def.dataschema)
    throw new InvalidEventError(`${event.type}: unknown dataschema ${event.dataschema}`)
  if (!Value.Check(def.schema, event.data)) {
    const first = Value.Errors(def.schema, event.data).First()
    throw new InvalidEventError(
      `${event.type} data invalid at ${first?.path || '/'}: ${first?.message}`,
    )
  }
  return event.data as Static<S>
}
