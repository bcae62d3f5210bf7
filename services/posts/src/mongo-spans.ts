/**
 * A CLIENT span per MongoDB command (`mongodb insert`, `mongodb findAndModify`,
 * ...), from the driver's command monitoring events, each a child of the request
 * or relay batch that sent it. Only when tracing is on, and only under a parent span.
 * Source: MongoDB driver specifications, "Command Logging and Monitoring".
 */
import { inTrace, type Span, SpanKind, SpanStatusCode, tracer } from '@civildiy/kit'
import type { MongoClient } from 'mongodb'

/** Commands the driver sends on its own (monitoring, handshakes): no one's request. */
const QUIET = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'endSessions'])

/** @example traceCommands(client) — the client was connected with `monitorCommands: true`. */
export function traceCommands(client: MongoClient): void {
  const open = new Map<number, Span>()
  client.on('commandStarted', (e) => {
    // Only inside a request or relay batch: a background poll is no one's trace.
    if (QUIET.has(e.commandName) || !inTrace()) return
    open.set(
      e.requestId,
      tracer().startSpan(`mongodb ${e.commandName}`, {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'mongodb',
          'db.operation.name': e.commandName,
          'db.namespace': e.databaseName,
        },
      }),
    )
  })
  const end = (requestId: number, error?: string) => {
    const span = open.get(requestId)
    if (!span) return
    open.delete(requestId)
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error })
    span.end()
  }
  client.on('commandSucceeded', (e) => end(e.requestId))
  client.on('commandFailed', (e) => end(e.requestId, e.failure.message))
}
