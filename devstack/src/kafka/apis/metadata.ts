/**
 * Metadata (key 3), v0-6. Every partition is led by this broker. Unknown topics are
 * created with the default partition count when auto-creation is on and the request
 * allows it (v4+), as `auto.create.topics.enable` does in Kafka. v0 (what
 * kafka-python's version probe sends first): an empty topic list means every
 * topic (v1+ uses null for that), and brokers and topics carry no rack,
 * controller, cluster id or internal flag.
 * Source: kafka.apache.org/protocol#The_Messages_Metadata
 */
import { topicNameProblem } from '../log/topic-store.ts'
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { ApiHandler } from './context.ts'

export const metadataHandler: ApiHandler = {
  apiKey: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, r, w) {
    const v = ctx.apiVersion
    const b = ctx.broker
    const requested = r.nullableArray((r) => r.string())
    const allowAutoCreate = v >= 4 ? r.boolean() : true
    const names =
      requested === null || (v === 0 && requested.length === 0) ? b.topics.names() : requested
    if (v >= 3) w.int32(0)
    w.array([b.nodeId], (w, id) => {
      w.int32(id).string(b.advertisedHost).int32(b.advertisedPort)
      if (v >= 1) w.string(null)
    })
    if (v >= 2) w.string(b.clusterId)
    if (v >= 1) w.int32(b.nodeId)
    w.array(names, (w, name) => {
      let error: ErrorCode = ErrorCode.NONE
      if (b.topics.partitionCount(name) === 0) {
        if (topicNameProblem(name)) error = ErrorCode.INVALID_TOPIC_EXCEPTION
        else if (b.autoCreateTopics && allowAutoCreate) {
          error = b.topics.create(name, b.defaultPartitions)
          if (error === ErrorCode.NONE)
            b.log('info', 'auto-created topic', { topic: name, partitions: b.defaultPartitions })
        } else error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      }
      const count = error === ErrorCode.NONE ? b.topics.partitionCount(name) : 0
      w.int16(error).string(name)
      if (v >= 1) w.boolean(false)
      w.int32(count)
      for (let p = 0; p < count; p++) {
        w.int16(ErrorCode.NONE).int32(p).int32(b.nodeId)
        w.array([b.nodeId], (w, id) => w.int32(id))
        w.array([b.nodeId], (w, id) => w.int32(id))
        if (v >= 5) w.int32(0)
      }
    })
    return undefined
  },
}
