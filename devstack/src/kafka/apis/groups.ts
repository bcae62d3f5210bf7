/**
 * Consumer-group APIs: FindCoordinator (10), JoinGroup (11), Heartbeat (12),
 * LeaveGroup (13), SyncGroup (14), DescribeGroups (15), ListGroups (16),
 * DeleteGroups (42). The group logic lives in GroupCoordinator; these only
 * translate the wire format. Source: https://kafka.apache.org/protocol#The_Messages_JoinGroup and following.
 */
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { ApiHandler } from './context.ts'

export const findCoordinatorHandler: ApiHandler = {
  apiKey: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, r, w) {
    r.string() // key: this broker coordinates every group
    if (ctx.apiVersion >= 1) r.int8() // key_type
    const b = ctx.broker
    if (ctx.apiVersion >= 1) w.int32(0)
    w.int16(ErrorCode.NONE)
    if (ctx.apiVersion >= 1) w.string(null)
    w.int32(b.nodeId).string(b.advertisedHost).int32(b.advertisedPort)
    return undefined
  },
}

/**
 * JoinGroup up to v4. v5 adds static membership (`group.instance.id`: a restarted
 * member takes its old place without a rebalance, KIP-345), which this broker does
 * not implement, so it does not advertise v5: a client that asks for static
 * membership is told the broker does not support it, as an older Kafka would.
 */
export const joinGroupHandler: ApiHandler = {
  apiKey: ApiKey.JoinGroup,
  name: 'JoinGroup',
  minVersion: 1,
  maxVersion: 4,
  async handle(ctx, r, w) {
    const v = ctx.apiVersion
    const groupId = r.string()
    const sessionTimeoutMs = r.int32()
    const rebalanceTimeoutMs = r.int32()
    const memberId = r.string()
    const protocolType = r.string()
    const protocols = r.array((r) => ({
      name: r.string(),
      metadata: new Uint8Array(r.bytesField()),
    }))
    const res = await ctx.broker.groups.join({
      groupId,
      memberId,
      groupInstanceId: null,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      protocolType,
      protocols,
    })
    if (v >= 2) w.int32(0)
    w.int16(res.errorCode)
      .int32(res.generationId)
      .string(res.protocolName)
      .string(res.leaderId)
      .string(res.memberId)
    w.array(res.members, (w, m) => {
      w.string(m.memberId)
      w.bytes(m.metadata)
    })
    return undefined
  },
}

export const syncGroupHandler: ApiHandler = {
  apiKey: ApiKey.SyncGroup,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, r, w) {
    const groupId = r.string()
    const generationId = r.int32()
    const memberId = r.string()
    if (ctx.apiVersion >= 3) r.nullableString() // group_instance_id
    const assignments = r.array((r) => ({
      memberId: r.string(),
      assignment: new Uint8Array(r.bytesField()),
    }))
    const res = await ctx.broker.groups.sync(groupId, generationId, memberId, assignments)
    if (ctx.apiVersion >= 1) w.int32(0)
    w.int16(res.errorCode).bytes(res.assignment)
    return undefined
  },
}

export const heartbeatHandler: ApiHandler = {
  apiKey: ApiKey.Heartbeat,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, r, w) {
    const groupId = r.string()
    const generationId = r.int32()
    const memberId = r.string()
    if (ctx.apiVersion >= 3) r.nullableString() // group_instance_id
    if (ctx.apiVersion >= 1) w.int32(0)
    w.int16(ctx.broker.groups.heartbeat(groupId, generationId, memberId))
    return undefined
  },
}

export const leaveGroupHandler: ApiHandler = {
  apiKey: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, r, w) {
    const groupId = r.string()
    if (ctx.apiVersion < 3) {
      const memberId = r.string()
      const [code] = ctx.broker.groups.leave(groupId, [memberId])
      if (ctx.apiVersion >= 1) w.int32(0)
      w.int16(code!)
      return undefined
    }
    const members = r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }))
    const codes = ctx.broker.groups.leave(
      groupId,
      members.map((m) => m.memberId),
    )
    w.int32(0).int16(ErrorCode.NONE)
    w.array(members, (w, m) => {
      w.string(m.memberId).string(m.groupInstanceId).int16(codes[members.indexOf(m)]!)
    })
    return undefined
  },
}

export const describeGroupsHandler: ApiHandler = {
  apiKey: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, r, w) {
    const ids = r.array((r) => r.string())
    if (ctx.apiVersion >= 1) w.int32(0)
    w.array(ids, (w, id) => {
      const g = ctx.broker.groups.describe(id)
      w.int16(ErrorCode.NONE)
        .string(g.groupId)
        .string(g.state)
        .string(g.protocolType)
        .string(g.protocolName)
      w.array(g.members, (w, m) => {
        w.string(m.memberId)
          .string(m.clientId)
          .string(m.clientHost)
          .bytes(m.metadata)
          .bytes(m.assignment)
      })
    })
    return undefined
  },
}

export const listGroupsHandler: ApiHandler = {
  apiKey: ApiKey.ListGroups,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, _r, w) {
    if (ctx.apiVersion >= 1) w.int32(0)
    w.int16(ErrorCode.NONE)
    w.array(ctx.broker.groups.list(), (w, g) => w.string(g.groupId).string(g.protocolType))
    return undefined
  },
}

export const deleteGroupsHandler: ApiHandler = {
  apiKey: ApiKey.DeleteGroups,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, r, w) {
    const ids = r.array((r) => r.string())
    w.int32(0)
    w.array(ids, (w, id) => w.string(id).int16(ctx.broker.groups.delete(id)))
    return undefined
  },
}
