/**
 * What an API handler sees: the broker's state and the request's header fields.
 */

import type { SaslMechanism, SaslUsers } from '../../sasl/sasl-users.ts'
import type { ScramServerExchange } from '../../sasl/scram-server.ts'
import type { GroupCoordinator } from '../groups/group-coordinator.ts'
import type { TopicStore } from '../log/topic-store.ts'
import type { Reader } from '../protocol/reader.ts'
import type { Writer } from '../protocol/writer.ts'

/** Broker-wide state shared by every connection. */
export interface BrokerState {
  nodeId: number
  clusterId: string
  /** Host and port returned in Metadata and FindCoordinator: where clients should connect. */
  advertisedHost: string
  advertisedPort: number
  topics: TopicStore
  groups: GroupCoordinator
  autoCreateTopics: boolean
  defaultPartitions: number
  /** message.max.bytes: the largest record batch accepted, in bytes. */
  maxMessageBytes: number
  /** SASL users, mechanisms and topic ACLs; null: no authentication (a PLAINTEXT listener). */
  auth: KafkaAuth | null
  nextProducerId(): number
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void
}

/** One request, as a handler sees it. */
export interface RequestContext {
  broker: BrokerState
  apiVersion: number
  correlationId: number
  clientId: string | null
  /** Remote address of the connection. */
  clientHost: string
  /** Aborted when the connection closes or the broker stops (ends long polls). */
  signal: AbortSignal
  /** This connection's authentication state. */
  session: SaslSession
}

/**
 * Topic ACLs by principal: the topics a user may write (Produce) and read (Fetch),
 * each an exact name or a prefix ending in `*`. A user with no entry may do neither.
 */
export type KafkaAcls = Record<string, { write?: string[]; read?: string[] }>

export interface KafkaAuth {
  users: SaslUsers
  mechanisms: readonly SaslMechanism[]
  /** null: every authenticated user may write and read every topic. */
  acls: KafkaAcls | null
}

/** Where one connection is in its SASL exchange. */
export interface SaslSession {
  /** Chosen by SaslHandshake. */
  mechanism: SaslMechanism | null
  /** A SCRAM exchange between its first and final message. */
  scram: ScramServerExchange | null
  /** The authenticated user; null until SaslAuthenticate succeeds. */
  principal: string | null
  /** Set after a failed authentication: the response goes out, then the connection closes. */
  closeAfterResponse: boolean
}

/**
 * Decodes one API's request body and writes its response body (everything after
 * the correlation id). Returns `false` when the request expects no response
 * (Produce with acks=0).
 */
export interface ApiHandler {
  apiKey: number
  name: string
  minVersion: number
  maxVersion: number
  handle(ctx: RequestContext, r: Reader, w: Writer): undefined | false | Promise<undefined | false>
}
