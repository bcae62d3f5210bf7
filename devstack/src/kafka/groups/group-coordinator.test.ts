import { afterEach, describe, expect, test } from 'bun:test'
import { OffsetStore } from '../log/offset-store.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import { GroupCoordinator, type JoinRequest } from './group-coordinator.ts'

const coordinators: GroupCoordinator[] = []
afterEach(() => {
  for (const c of coordinators.splice(0)) c.close()
})

function coordinator() {
  const c = new GroupCoordinator(new OffsetStore(null), {
    minSessionTimeoutMs: 100,
    maxSessionTimeoutMs: 60_000,
    initialRebalanceDelayMs: 0,
  })
  coordinators.push(c)
  return c
}

function joinRequest(memberId = '', protocols = ['roundrobin']): JoinRequest {
  return {
    groupId: 'g',
    memberId,
    groupInstanceId: null,
    clientId: 'test',
    clientHost: '127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 1_000,
    protocolType: 'consumer',
    protocols: protocols.map((name) => ({ name, metadata: new Uint8Array([1]) })),
  }
}

describe('GroupCoordinator', () => {
  test('a single member becomes leader of generation 1 and gets its own assignment back', async () => {
    const c = coordinator()
    const joined = await c.join(joinRequest())
    expect(joined.errorCode).toBe(ErrorCode.NONE)
    expect(joined.generationId).toBe(1)
    expect(joined.leaderId).toBe(joined.memberId)
    expect(joined.members).toHaveLength(1)
    const synced = await c.sync('g', 1, joined.memberId, [
      { memberId: joined.memberId, assignment: new Uint8Array([9]) },
    ])
    expect(synced).toEqual({ errorCode: ErrorCode.NONE, assignment: new Uint8Array([9]) })
    expect(c.describe('g').state).toBe('Stable')
  })

  test('answers stale generations, strangers and mid-rebalance calls with the Kafka error codes', async () => {
    const c = coordinator()
    const a = await c.join(joinRequest())
    await c.sync('g', a.generationId, a.memberId, [])
    expect(c.heartbeat('g', a.generationId, 'stranger')).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(c.heartbeat('g', a.generationId + 5, a.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect(c.commit('g', a.generationId + 5, a.memberId, [])).toBe(ErrorCode.ILLEGAL_GENERATION)
    // A second member joining starts a rebalance the first learns of by heartbeat.
    const bJoin = c.join(joinRequest())
    expect(c.heartbeat('g', a.generationId, a.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    // Kafka takes commits of the current generation while it prepares a rebalance, so a
    // member's last offsets before it rejoins are not lost (GroupCoordinator.scala,
    // handleCommitOffsets: only CompletingRebalance answers REBALANCE_IN_PROGRESS).
    const offset = { topic: 't', partition: 0, value: { offset: 42, metadata: null } }
    expect(c.commit('g', a.generationId, a.memberId, [offset])).toBe(ErrorCode.NONE)
    expect(c.committed('g', 't', 0)?.offset).toBe(42)
    const aAgain = await c.join(joinRequest(a.memberId))
    const b = await bJoin
    expect(aAgain.generationId).toBe(2)
    expect(b.generationId).toBe(2)
    expect(aAgain.leaderId).toBe(a.memberId)
    expect(aAgain.members).toHaveLength(2)
    expect(b.members).toHaveLength(0)
    // Joined but not synced (CompletingRebalance): the new generation's assignment is not out yet.
    expect(c.describe('g').state).toBe('CompletingRebalance')
    expect(c.commit('g', 2, a.memberId, [offset])).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
  })

  test('a member that does not rejoin within the rebalance timeout is dropped', async () => {
    const c = coordinator()
    const a = await c.join(joinRequest())
    await c.sync('g', a.generationId, a.memberId, [])
    const b = await c.join(joinRequest()) // a never rejoins
    expect(b.generationId).toBe(2)
    expect(c.describe('g').members.map((m) => m.memberId)).toEqual([b.memberId])
    expect(c.heartbeat('g', 2, a.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('rejects incompatible protocols and bad session timeouts', async () => {
    const c = coordinator()
    const a = await c.join(joinRequest('', ['range']))
    expect(a.errorCode).toBe(ErrorCode.NONE)
    expect((await c.join(joinRequest('', ['sticky']))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    )
    expect((await c.join({ ...joinRequest(), sessionTimeoutMs: 10 })).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    )
  })

  test('deleting a group with members is NON_EMPTY_GROUP; an unknown one GROUP_ID_NOT_FOUND', async () => {
    const c = coordinator()
    const a = await c.join(joinRequest())
    expect(c.delete('g')).toBe(ErrorCode.NON_EMPTY_GROUP)
    expect(c.delete('nobody')).toBe(ErrorCode.GROUP_ID_NOT_FOUND)
    c.leave('g', [a.memberId])
    expect(c.describe('g').state).toBe('Empty')
    expect(c.delete('g')).toBe(ErrorCode.NONE)
  })
})
