/**
 * Topic administration: CreateTopics (key 19, v0-3), DeleteTopics (key 20, v0-1)
 * and CreatePartitions (key 37, v0-1). Replication factor and replica assignments
 * are accepted and ignored: there is one broker.
 */
import { topicNameProblem } from '../log/topic-store.ts'
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { ApiHandler } from './context.ts'

const MESSAGES: Partial<Record<number, string>> = {
  [ErrorCode.TOPIC_ALREADY_EXISTS]: 'Topic already exists.',
  [ErrorCode.INVALID_PARTITIONS]:
    'Number of partitions must be between 1 and 10000 (and can only grow).',
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic.',
}

export const createTopicsHandler: ApiHandler = {
  apiKey: ApiKey.CreateTopics,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, r, w) {
    const v = ctx.apiVersion
    const b = ctx.broker
    const topics = r.array((r) => {
      const name = r.string()
      const numPartitions = r.int32()
      r.int16() // replication_factor
      r.array((r) => [r.int32(), r.array((r) => r.int32())]) // assignments
      r.array((r) => [r.string(), r.nullableString()]) // configs
      return { name, numPartitions }
    })
    r.int32() // timeout_ms
    const validateOnly = v >= 1 ? r.boolean() : false
    const results = topics.map((t) => {
      const partitions = t.numPartitions === -1 ? b.defaultPartitions : t.numPartitions
      const nameProblem = topicNameProblem(t.name)
      if (nameProblem)
        return {
          name: t.name,
          code: ErrorCode.INVALID_TOPIC_EXCEPTION as ErrorCode,
          message: nameProblem,
        }
      let code: ErrorCode
      if (validateOnly) {
        code =
          b.topics.partitionCount(t.name) > 0
            ? ErrorCode.TOPIC_ALREADY_EXISTS
            : partitions >= 1 && partitions <= 10_000
              ? ErrorCode.NONE
              : ErrorCode.INVALID_PARTITIONS
      } else {
        code = b.topics.create(t.name, partitions)
        if (code === ErrorCode.NONE) b.log('info', 'created topic', { topic: t.name, partitions })
      }
      return { name: t.name, code, message: MESSAGES[code] ?? null }
    })
    if (v >= 2) w.int32(0)
    w.array(results, (w, res) => {
      w.string(res.name).int16(res.code)
      if (v >= 1) w.string(res.message)
    })
    return undefined
  },
}

export const deleteTopicsHandler: ApiHandler = {
  apiKey: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, r, w) {
    const names = r.array((r) => r.string())
    r.int32() // timeout_ms
    if (ctx.apiVersion >= 1) w.int32(0)
    w.array(names, (w, name) => {
      const code = ctx.broker.topics.delete(name)
      if (code === ErrorCode.NONE) {
        ctx.broker.groups.forgetTopic(name)
        ctx.broker.log('info', 'deleted topic', { topic: name })
      }
      w.string(name).int16(code)
    })
    return undefined
  },
}

export const createPartitionsHandler: ApiHandler = {
  apiKey: ApiKey.CreatePartitions,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, r, w) {
    const topics = r.array((r) => {
      const name = r.string()
      const count = r.int32()
      r.nullableArray((r) => r.array((r) => r.int32())) // assignments
      return { name, count }
    })
    r.int32() // timeout_ms
    const validateOnly = r.boolean()
    w.int32(0)
    w.array(topics, (w, t) => {
      const current = ctx.broker.topics.partitionCount(t.name)
      let code: ErrorCode
      if (current === 0) code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      else if (validateOnly)
        code = t.count > current ? ErrorCode.NONE : ErrorCode.INVALID_PARTITIONS
      else code = ctx.broker.topics.grow(t.name, t.count)
      w.string(t.name)
        .int16(code)
        .string(MESSAGES[code] ?? null)
    })
    return undefined
  },
}
