/**
 * The consumer-group coordinator: membership, generations, leader election and
 * the rebalance protocol, plus committed offsets.
 *
 * Sources: the Kafka protocol guide (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit) and the group state machine of Kafka's GroupCoordinator
 * (Empty -> PreparingRebalance -> CompletingRebalance -> Stable). A single broker is
 * the coordinator of every group, so NOT_COORDINATOR never applies here.
 */
import { randomUUID } from 'node:crypto'
import type { CommittedOffset, OffsetStore } from '../log/offset-store.ts'
import { ErrorCode } from '../protocol/error-codes.ts'

/** Kafka's group states, with the names DescribeGroups reports. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

/** Coordinator limits, mirroring Kafka's broker settings of the same names. */
export interface CoordinatorOptions {
  /** group.min.session.timeout.ms (Kafka default 6000). */
  minSessionTimeoutMs: number
  /** group.max.session.timeout.ms (Kafka default 1800000). */
  maxSessionTimeoutMs: number
  /** group.initial.rebalance.delay.ms: wait this long for more members when an empty group first rebalances. */
  initialRebalanceDelayMs: number
}

export interface JoinRequest {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: { name: string; metadata: Uint8Array }[]
}

export interface JoinResult {
  errorCode: ErrorCode
  generationId: number
  protocolName: string
  leaderId: string
  memberId: string
  /** Filled for the leader only: every member's subscription metadata. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[]
}

export interface SyncResult {
  errorCode: ErrorCode
  assignment: Uint8Array
}

interface Member {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocols: { name: string; metadata: Uint8Array }[]
  assignment: Uint8Array
  lastSeen: number
  pendingJoin: ((r: JoinResult) => void) | null
  pendingSync: ((r: SyncResult) => void) | null
}

interface Group {
  id: string
  state: GroupState
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leaderId: string | null
  members: Map<string, Member>
  timer: ReturnType<typeof setTimeout> | null
  /** True while the initial-rebalance delay of a previously empty group runs. */
  delaying: boolean
}

const EMPTY = new Uint8Array(0)

/** A described group, in the shape DescribeGroups answers with. */
export interface GroupDescription {
  groupId: string
  state: GroupState
  protocolType: string
  protocolName: string
  members: {
    memberId: string
    clientId: string
    clientHost: string
    metadata: Uint8Array
    assignment: Uint8Array
  }[]
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>()
  private readonly sweeper: ReturnType<typeof setInterval>

  constructor(
    private readonly offsets: OffsetStore,
    private readonly options: CoordinatorOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.expireMembers(), 100)
    this.sweeper.unref?.()
  }

  /** JoinGroup: resolves when the rebalance this join takes part in completes. */
  join(req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: ErrorCode): Promise<JoinResult> =>
      Promise.resolve({
        errorCode,
        generationId: -1,
        protocolName: '',
        leaderId: '',
        memberId: req.memberId,
        members: [],
      })
    if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID)
    if (
      req.sessionTimeoutMs < this.options.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.options.maxSessionTimeoutMs
    ) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT)
    }
    if (!req.protocolType || req.protocols.length === 0)
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const group = this.group(req.groupId)
    if (group.members.size > 0) {
      const common = this.commonProtocols(group, req.protocols)
      if (group.protocolType !== req.protocolType || common.length === 0) {
        return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
      }
    }
    let member = req.memberId ? group.members.get(req.memberId) : undefined
    if (req.memberId && !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID)
    if (!member) {
      member = {
        memberId: `${req.clientId || 'member'}-${randomUUID()}`,
        groupInstanceId: req.groupInstanceId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocols: req.protocols,
        assignment: EMPTY,
        lastSeen: this.now(),
        pendingJoin: null,
        pendingSync: null,
      }
      group.members.set(member.memberId, member)
    }
    member.protocols = req.protocols
    member.sessionTimeoutMs = req.sessionTimeoutMs
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
    member.lastSeen = this.now()
    group.protocolType = req.protocolType
    // A member that re-sends JoinGroup while one is pending replaces the old wait.
    member.pendingJoin?.({
      errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
      generationId: -1,
      protocolName: '',
      leaderId: '',
      memberId: member.memberId,
      members: [],
    })
    const joined = new Promise<JoinResult>((resolve) => {
      member.pendingJoin = resolve
    })
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group)
    this.tryCompleteJoin(group)
    return joined
  }

  /** SyncGroup: the leader hands out assignments; followers wait for them. */
  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: { memberId: string; assignment: Uint8Array }[],
  ): Promise<SyncResult> {
    const group = this.groups.get(groupId)
    const member = group?.members.get(memberId)
    if (!group || !member)
      return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY })
    if (generationId !== group.generationId)
      return Promise.resolve({ errorCode: ErrorCode.ILLEGAL_GENERATION, assignment: EMPTY })
    member.lastSeen = this.now()
    if (group.state === 'PreparingRebalance') {
      return Promise.resolve({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY })
    }
    if (group.state === 'Stable')
      return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment })
    const synced = new Promise<SyncResult>((resolve) => {
      member.pendingSync = resolve
    })
    if (memberId === group.leaderId) {
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]))
      for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY
      group.state = 'Stable'
      for (const m of group.members.values()) {
        m.pendingSync?.({ errorCode: ErrorCode.NONE, assignment: m.assignment })
        m.pendingSync = null
      }
    }
    return synced
  }

  /** Heartbeat: keeps the member's session alive and tells it when to rejoin. */
  heartbeat(groupId: string, generationId: number, memberId: string): ErrorCode {
    const group = this.groups.get(groupId)
    const member = group?.members.get(memberId)
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID
    member.lastSeen = this.now()
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    if (group.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS
    return ErrorCode.NONE
  }

  /** LeaveGroup: removes members at once and rebalances the rest. */
  leave(groupId: string, memberIds: string[]): ErrorCode[] {
    const group = this.groups.get(groupId)
    return memberIds.map((id) => {
      const member = group?.members.get(id)
      if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID
      this.removeMember(group, member)
      return ErrorCode.NONE
    })
  }

  /**
   * OffsetCommit. Generation -1 with an empty member id is a "simple" commit
   * (admin tools), allowed only while the group has no members. A member of the
   * current generation may commit while the group is Stable or PreparingRebalance
   * (its last offsets before it rejoins must not be lost); only CompletingRebalance
   * answers REBALANCE_IN_PROGRESS, as Kafka's GroupCoordinator.handleCommitOffsets does.
   */
  commit(
    groupId: string,
    generationId: number,
    memberId: string,
    offsets: { topic: string; partition: number; value: CommittedOffset }[],
  ): ErrorCode {
    if (!groupId) return ErrorCode.INVALID_GROUP_ID
    const group = this.groups.get(groupId)
    if (generationId < 0 && !memberId) {
      if (group && group.members.size > 0) return ErrorCode.UNKNOWN_MEMBER_ID
    } else {
      const member = group?.members.get(memberId)
      if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID
      member.lastSeen = this.now()
      if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
      if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS
    }
    for (const o of offsets) this.offsets.commit(groupId, o.topic, o.partition, o.value)
    return ErrorCode.NONE
  }

  committed(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(groupId, topic, partition)
  }

  /** Every committed position of a group (OffsetFetch with null topics). */
  allCommitted(groupId: string): { topic: string; partition: number; value: CommittedOffset }[] {
    return this.offsets.all(groupId)
  }

  describe(groupId: string): GroupDescription {
    const group = this.groups.get(groupId)
    if (!group) {
      const state: GroupState = this.offsets.hasGroup(groupId) ? 'Empty' : 'Dead'
      return { groupId, state, protocolType: '', protocolName: '', members: [] }
    }
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName:
        group.state === 'Stable' || group.state === 'CompletingRebalance'
          ? (group.protocolName ?? '')
          : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
        assignment: group.state === 'Stable' ? m.assignment : EMPTY,
      })),
    }
  }

  /** Groups with members or committed offsets. */
  list(): { groupId: string; protocolType: string }[] {
    const ids = new Set([...this.groups.keys(), ...this.offsets.groupIds()])
    return [...ids].map((groupId) => ({
      groupId,
      protocolType: this.groups.get(groupId)?.protocolType ?? 'consumer',
    }))
  }

  /** DeleteGroups: only groups with no members. */
  delete(groupId: string): ErrorCode {
    const group = this.groups.get(groupId)
    if (group && group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP
    if (!group && !this.offsets.hasGroup(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND
    this.groups.delete(groupId)
    this.offsets.deleteGroup(groupId)
    return ErrorCode.NONE
  }

  /** Drops committed offsets of a deleted topic. */
  forgetTopic(topic: string): void {
    this.offsets.deleteTopic(topic)
  }

  /** Stops timers and fails every waiting request (broker shutdown). */
  close(): void {
    clearInterval(this.sweeper)
    for (const group of this.groups.values()) {
      if (group.timer) clearTimeout(group.timer)
      for (const m of group.members.values()) this.failPending(m, ErrorCode.REBALANCE_IN_PROGRESS)
    }
  }

  private group(id: string): Group {
    let group = this.groups.get(id)
    if (!group) {
      group = {
        id,
        state: 'Empty',
        generationId: 0,
        protocolType: null,
        protocolName: null,
        leaderId: null,
        members: new Map(),
        timer: null,
        delaying: false,
      }
      this.groups.set(id, group)
    }
    return group
  }

  private commonProtocols(group: Group, extra: { name: string }[] = []): string[] {
    const lists = [...group.members.values()].map((m) => m.protocols.map((p) => p.name))
    if (extra.length) lists.push(extra.map((p) => p.name))
    const [first = [], ...rest] = lists
    return first.filter((name) => rest.every((l) => l.includes(name)))
  }

  private prepareRebalance(group: Group): void {
    const wasEmpty = group.state === 'Empty'
    group.state = 'PreparingRebalance'
    for (const m of group.members.values()) {
      m.pendingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY })
      m.pendingSync = null
    }
    if (group.timer) clearTimeout(group.timer)
    const rebalanceTimeout = Math.max(
      0,
      ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs),
    )
    group.delaying = wasEmpty && this.options.initialRebalanceDelayMs > 0
    const wait = group.delaying ? this.options.initialRebalanceDelayMs : rebalanceTimeout
    group.timer = setTimeout(() => {
      group.timer = null
      if (group.delaying) {
        group.delaying = false
        // After the initial delay the normal rule applies: complete once everyone has joined.
        group.timer = setTimeout(() => this.completeJoin(group), rebalanceTimeout)
        this.tryCompleteJoin(group)
        return
      }
      this.completeJoin(group)
    }, wait)
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.delaying) return
    for (const m of group.members.values()) if (!m.pendingJoin) return
    this.completeJoin(group)
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return
    if (group.timer) clearTimeout(group.timer)
    group.timer = null
    group.delaying = false
    // Members that did not rejoin within the rebalance timeout are out.
    for (const m of [...group.members.values()])
      if (!m.pendingJoin) group.members.delete(m.memberId)
    group.generationId += 1
    if (group.members.size === 0) {
      group.state = 'Empty'
      group.leaderId = null
      group.protocolName = null
      return
    }
    group.protocolName = this.electProtocol(group)
    if (!group.leaderId || !group.members.has(group.leaderId))
      group.leaderId = group.members.keys().next().value!
    group.state = 'CompletingRebalance'
    const everyone = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
    }))
    const now = this.now()
    for (const m of group.members.values()) {
      m.lastSeen = now
      const resolve = m.pendingJoin!
      m.pendingJoin = null
      resolve({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolName: group.protocolName,
        leaderId: group.leaderId,
        memberId: m.memberId,
        members: m.memberId === group.leaderId ? everyone : [],
      })
    }
  }

  /** Each member votes for its most preferred protocol that every member supports. */
  private electProtocol(group: Group): string {
    const common = this.commonProtocols(group)
    const votes = new Map<string, number>()
    for (const m of group.members.values()) {
      const choice = m.protocols.find((p) => common.includes(p.name))?.name
      if (choice) votes.set(choice, (votes.get(choice) ?? 0) + 1)
    }
    let best = common[0] ?? ''
    for (const [name, n] of votes) if (n > (votes.get(best) ?? 0)) best = name
    return best
  }

  private removeMember(group: Group, member: Member): void {
    this.failPending(member, ErrorCode.UNKNOWN_MEMBER_ID)
    group.members.delete(member.memberId)
    if (group.state === 'Stable' || group.state === 'CompletingRebalance')
      this.prepareRebalance(group)
    if (group.members.size === 0 && group.state === 'PreparingRebalance') this.completeJoin(group)
    else this.tryCompleteJoin(group)
  }

  private failPending(member: Member, errorCode: ErrorCode): void {
    member.pendingJoin?.({
      errorCode,
      generationId: -1,
      protocolName: '',
      leaderId: '',
      memberId: member.memberId,
      members: [],
    })
    member.pendingSync?.({ errorCode, assignment: EMPTY })
    member.pendingJoin = null
    member.pendingSync = null
  }

  /** Members that stopped heartbeating for longer than their session timeout leave the group. */
  private expireMembers(): void {
    const now = this.now()
    for (const group of this.groups.values()) {
      for (const m of [...group.members.values()]) {
        if (!m.pendingJoin && now - m.lastSeen > m.sessionTimeoutMs) this.removeMember(group, m)
      }
    }
  }
}
