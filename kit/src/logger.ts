/**
 * Structured JSON logging (pino): one JSON object per line, with the service name
 * and, inside a request, its request id. Secrets and bodies are never logged by
 * the kit; `redact` removes common credential fields if a caller passes them.
 */
import pino, { type DestinationStream, type Logger } from 'pino'
import { currentRequestId } from './context.ts'

export type { Logger } from 'pino'

export interface LoggerOptions {
  service: string
  level?: string
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream
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
        return requestId ? { requestId } : {}
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  )
}
