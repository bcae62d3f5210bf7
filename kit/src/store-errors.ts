/**
 * Database errors that the request's input caused, as the 4xx they are: a value
 * PostgreSQL cannot store (SQLSTATE class 22, e.g. a date out of range, a NUL
 * byte, a malformed uuid), a constraint the input breaks (class 23), or a
 * MongoDB server error for a bad value or a duplicate key. The database's own
 * message never reaches the client: it names tables, columns and values.
 * Sources: PostgreSQL "Appendix A. Error Codes"; MongoDB "Error Codes".
 */
import { AppError } from './errors.ts'

/** MongoDB server codes caused by the input: BadValue, duplicate key, document too large, and kin. */
const MONGO_CODES: Record<number, [number, string]> = {
  2: [400, 'invalid_value'],
  9: [400, 'invalid_value'],
  14: [400, 'invalid_value'],
  17: [413, 'body_too_large'],
  10334: [413, 'body_too_large'],
  11000: [409, 'conflict'],
  17280: [413, 'body_too_large'],
}

/**
 * The AppError for a database error caused by input, or undefined when the error
 * is the server's (connection lost, permissions, a bug).
 * @example storeInputError({ name: 'PostgresError', code: '22008' }) // AppError 400 invalid_value
 */
export function storeInputError(err: unknown): AppError | undefined {
  const e = err as { name?: string; code?: unknown } | null
  if (!e || typeof e !== 'object') return undefined
  if (e.name === 'PostgresError' && typeof e.code === 'string') {
    if (e.code === '23505') return new AppError(409, 'conflict', 'That already exists')
    if (e.code.startsWith('22'))
      return new AppError(400, 'invalid_value', 'A value in the request cannot be stored')
    if (e.code.startsWith('23'))
      return new AppError(422, 'constraint_violation', 'The request breaks a data constraint')
    return undefined
  }
  if (/^Mongo(Server|BulkWrite)Error$/.test(e.name ?? '') && typeof e.code === 'number') {
    const known = MONGO_CODES[e.code]
    if (known) return new AppError(known[0], known[1], 'A value in the request cannot be stored')
  }
  return undefined
}
