/**
 * JSON request bodies read with limits checked before parsing, so a hostile body
 * cannot cost a stack overflow or a 500: too large → 413, nested deeper than the
 * limit → 400, unparseable → 400, and any string holding a control character
 * other than tab, line feed and carriage return (NUL among them, which PostgreSQL
 * cannot store in text) → 422 naming the field.
 */
import { AppError, BadRequestError, type FieldError, ValidationError } from './errors.ts'

export interface JsonBodyLimits {
  /** Largest JSON body, bytes. Default 256 KiB. */
  maxBytes: number
  /** Deepest nesting of arrays and objects. Default 32. */
  maxDepth: number
}

export const defaultJsonBodyLimits: JsonBodyLimits = { maxBytes: 256 * 1024, maxDepth: 32 }

/**
 * Parses `text` as JSON within the limits.
 * @throws AppError 413 `body_too_large`, BadRequestError (400) for depth or syntax,
 *   ValidationError (422) for control characters, with a JSON pointer per field.
 * @example parseJsonBody('{"a":[1]}') // { a: [1] }
 */
export function parseJsonBody(text: string, limits: JsonBodyLimits = defaultJsonBodyLimits) {
  if (Buffer.byteLength(text) > limits.maxBytes)
    throw new AppError(413, 'body_too_large', `JSON bodies are limited to ${limits.maxBytes} bytes`)
  const depth = nestingDepth(text)
  if (depth > limits.maxDepth)
    throw new BadRequestError(`The JSON body is nested deeper than ${limits.maxDepth} levels`)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new BadRequestError('The request body could not be parsed as JSON')
  }
  const errors: FieldError[] = []
  findControlCharacters(value, '', errors)
  if (errors.length) throw new ValidationError(errors)
  return value
}

/** The deepest `[`/`{` nesting outside strings, scanning once without parsing. */
function nestingDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) max = Math.max(max, ++depth)
    else if (c === 93 || c === 125) depth--
  }
  return max
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/

function findControlCharacters(value: unknown, pointer: string, errors: FieldError[]): void {
  if (errors.length >= 20) return
  if (typeof value === 'string') {
    if (CONTROL.test(value))
      errors.push({ field: pointer || '/', message: 'must not contain control characters' })
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++)
      findControlCharacters(value[i], `${pointer}/${i}`, errors)
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const key = k.replace(/~/g, '~0').replace(/\//g, '~1')
      if (CONTROL.test(k)) errors.push({ field: `${pointer}/${key}`, message: 'invalid key' })
      else findControlCharacters(v, `${pointer}/${key}`, errors)
    }
  }
}
