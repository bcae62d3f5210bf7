/** Every API the broker serves, keyed by API key. */
import { apiVersionsHandler } from './api-versions.ts'
import type { ApiHandler } from './context.ts'
import { fetchHandler } from './fetch.ts'
import {
  deleteGroupsHandler,
  describeGroupsHandler,
  findCoordinatorHandler,
  heartbeatHandler,
  joinGroupHandler,
  leaveGroupHandler,
  listGroupsHandler,
  syncGroupHandler,
} from './groups.ts'
import { initProducerIdHandler } from './init-producer-id.ts'
import { listOffsetsHandler } from './list-offsets.ts'
import { metadataHandler } from './metadata.ts'
import { offsetCommitHandler, offsetFetchHandler } from './offsets.ts'
import { produceHandler } from './produce.ts'
import { saslAuthenticateHandler, saslHandshakeHandler } from './sasl.ts'
import { createPartitionsHandler, createTopicsHandler, deleteTopicsHandler } from './topic-admin.ts'

const handlers: ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  saslHandshakeHandler,
  apiVersionsHandler(() => handlers),
  createTopicsHandler,
  deleteTopicsHandler,
  initProducerIdHandler,
  saslAuthenticateHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
]

/** Handlers by API key. */
export const apiHandlers: ReadonlyMap<number, ApiHandler> = new Map(
  handlers.map((h) => [h.apiKey, h]),
)

/** All handlers, in API-key order (the ApiVersions listing). */
export const allApiHandlers: readonly ApiHandler[] = handlers.toSorted(
  (a, b) => a.apiKey - b.apiKey,
)
