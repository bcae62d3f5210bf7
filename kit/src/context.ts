/**
 * Per-request context (the request id) carried through async calls, so log lines,
 * outgoing HTTP calls and published events carry it without passing it around.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

export interface RequestContext {
  requestId: string
  /** The peer's IP address as the server saw it (not a header a client can forge). */
  clientAddress?: string
}

export const requestContext = new AsyncLocalStorage<RequestContext>()

/** The current request id, if code runs inside a request. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId
}

/** The current request's peer IP address, if code runs inside a request served by `createService`. */
export function currentClientAddress(): string | undefined {
  return requestContext.getStore()?.clientAddress
}
