/**
 * Where a span ran, for the waterfall: its service, and for a client or
 * producer span the system it called (`mongodb`, `postgresql`, `redis`, `kafka`),
 * so the database and broker hops show as lanes of their own.
 */
import type { StoredSpan } from '../../traces/otlp-receiver.ts'

const PALETTE = [
  '#2563eb',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#db2777',
  '#0891b2',
  '#65a30d',
  '#dc2626',
]
const KIND_CLIENT = 3
const KIND_PRODUCER = 4

/** A stable colour per lane name. */
export function laneColor(lane: string): string {
  let h = 0
  for (const c of lane) h = (h * 31 + c.charCodeAt(0)) >>> 0
  return PALETTE[h % PALETTE.length]!
}

/** The peer system a client or producer span called, if it says. */
export function peerOf(span: StoredSpan): string | null {
  if (span.kind !== KIND_CLIENT && span.kind !== KIND_PRODUCER) return null
  const peer =
    span.attributes['messaging.system'] ??
    span.attributes['db.system.name'] ??
    span.attributes['db.system']
  return typeof peer === 'string' ? peer : null
}

/** Every service and peer system a trace touched, in order of first appearance. */
export function componentsOf(spans: StoredSpan[]): string[] {
  const out = new Set<string>()
  for (const s of spans) {
    out.add(s.service)
    const peer = peerOf(s)
    if (peer) out.add(peer)
  }
  return [...out]
}

export const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']
