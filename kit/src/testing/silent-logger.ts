import { createLogger, type Logger } from '../logger.ts'

/** A logger that drops everything, for tests that do not read logs. */
export function silentLogger(service = 'test'): Logger {
  return createLogger({ service, level: 'silent' })
}
