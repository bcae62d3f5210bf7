/**
 * Topic authorization for Produce and Fetch: with ACLs configured, a user may write
 * and read only the topics its entry lists (deny by default, as Kafka's authorizer
 * with allow.everyone.if.no.acl.found=false). Group, cluster and metadata ACLs are
 * not modelled: compose's Kafka enforces those.
 * Source: https://kafka.apache.org/documentation/#security_authz
 */
import type { RequestContext } from './context.ts'

/** Whether this connection's user may `operation` the topic. */
export function topicAllowed(
  ctx: RequestContext,
  operation: 'write' | 'read',
  topic: string,
): boolean {
  const acls = ctx.broker.auth?.acls
  if (!acls) return true
  const principal = ctx.session.principal
  const patterns = principal ? acls[principal]?.[operation] : undefined
  return (patterns ?? []).some((p) =>
    p.endsWith('*') ? topic.startsWith(p.slice(0, -1)) : topic === p,
  )
}
