/**
 * Structured JSON logging (pino): one JSON object per line, with the service name
 * and, inside a request, its request id (and, with tracing on, `trace_id` and
 * `span_id`, the OpenTelemetry log-correlation fields). Secrets and bodies are never logged by
 * the kit; `redact` removes common credential fields if a caller passes them.
 */

import { trace } from '@opentelemetry/api'
import pino, { type DestinationStream, type Logger } from 'pino'
import { currentRequestId } from './context.ts'
import { tracingEnabled } from './telemetry/tracing.ts'

export type { Logger } from 'pino'

export interface LoggerOptions {
  service: string
  level?: string
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream
  /** A second place every line goes as well (the OTLP log export, see telemetry/log-export.ts). */
  also?: DestinationStream
}

/**
 * @example
 * const log = createLogger({ service: 'auth', level: 'info' })
 * log.info({ userId }, 'user registered')
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.service,
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'token',
          '*.token',
          'refreshToken',
          '*.refreshToken',
        ],
        censor: '[redacted]',
      },
      mixin() {
        const requestId = currentRequestId()
        // Inside a traced request or event: the ids that find this line's trace.
        const span = tracingEnabled() ? trace.getActiveSpan()?.spanContext() : undefined
        return {
          ...(requestId ? { requestId } : {}),
          ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
        }
      },
    },
    destinationOf(options),
  )
}

/** Stdout (or the given destination), and `also` next to it: every line the logger's level lets through goes to both. */
function destinationOf(options: LoggerOptions): DestinationStream {
  const main = options.destination ?? pino.destination({ sync: false })
  if (!options.also) return main
  return pino.multistream([
    { level: 'trace', stream: main },
    { level: 'trace', stream: options.also },
  ])
}
