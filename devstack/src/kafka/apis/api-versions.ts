/** ApiVersions (key 18), v0-2: the versions this broker serves. */
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { Writer } from '../protocol/writer.ts'
import type { ApiHandler } from './context.ts'

/** Writes an ApiVersions response body; also used to answer an unsupported ApiVersions version. */
export function writeApiVersions(
  w: Writer,
  version: number,
  errorCode: ErrorCode,
  handlers: readonly ApiHandler[],
): void {
  w.int16(errorCode)
  w.array(handlers, (w, h) => w.int16(h.apiKey).int16(h.minVersion).int16(h.maxVersion))
  if (version >= 1) w.int32(0)
}

export function apiVersionsHandler(all: () => readonly ApiHandler[]): ApiHandler {
  return {
    apiKey: ApiKey.ApiVersions,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: 2,
    handle(ctx, _r, w) {
      writeApiVersions(w, ctx.apiVersion, ErrorCode.NONE, all())
      return undefined
    },
  }
}
