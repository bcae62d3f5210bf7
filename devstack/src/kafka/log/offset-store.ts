/**
 * Committed consumer-group offsets, kept per group, topic and partition. With a
 * data directory they are appended to `offsets.jsonl` (Kafka keeps them in the
 * compacted `__consumer_offsets` topic; a compacted JSON-lines file is the same idea)
 * and the file is compacted when the broker starts.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** One committed position. */
export interface CommittedOffset {
  offset: number
  metadata: string | null
}

interface Line {
  g: string
  t: string
  p: number
  o: number
  m: string | null
}

export class OffsetStore {
  private readonly groups = new Map<string, Map<string, CommittedOffset>>()
  private readonly file: string | null

  constructor(dataDir: string | null) {
    this.file = dataDir ? join(dataDir, 'offsets.jsonl') : null
    if (this.file && existsSync(this.file)) {
      for (const text of readFileSync(this.file, 'utf8').split('\n')) {
        if (!text) continue
        try {
          const l = JSON.parse(text) as Line
          if (l.o < 0) this.groups.delete(l.g)
          else this.put(l.g, l.t, l.p, { offset: l.o, metadata: l.m })
        } catch {
          // A torn last line from a crash mid-append: everything before it stands.
        }
      }
      this.compact()
    }
  }

  commit(group: string, topic: string, partition: number, value: CommittedOffset): void {
    this.put(group, topic, partition, value)
    if (this.file) {
      const line: Line = { g: group, t: topic, p: partition, o: value.offset, m: value.metadata }
      appendFileSync(this.file, `${JSON.stringify(line)}\n`)
    }
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(key(topic, partition))
  }

  /** Every committed position of `group`. */
  all(group: string): { topic: string; partition: number; value: CommittedOffset }[] {
    const out: { topic: string; partition: number; value: CommittedOffset }[] = []
    for (const [k, value] of this.groups.get(group) ?? []) {
      const [topic, p] = k.split('\0') as [string, string]
      out.push({ topic, partition: Number(p), value })
    }
    return out
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group)
  }

  groupIds(): string[] {
    return [...this.groups.keys()]
  }

  /** Forgets a group's offsets (DeleteGroups). */
  deleteGroup(group: string): void {
    this.groups.delete(group)
    if (this.file)
      appendFileSync(this.file, `${JSON.stringify({ g: group, t: '', p: 0, o: -1, m: null })}\n`)
  }

  /** Forgets every group's offsets for a deleted topic. */
  deleteTopic(topic: string): void {
    for (const offsets of this.groups.values()) {
      for (const k of offsets.keys()) if (k.startsWith(`${topic}\0`)) offsets.delete(k)
    }
    this.compact()
  }

  private put(group: string, topic: string, partition: number, value: CommittedOffset): void {
    let offsets = this.groups.get(group)
    if (!offsets) {
      offsets = new Map()
      this.groups.set(group, offsets)
    }
    offsets.set(key(topic, partition), value)
  }

  private compact(): void {
    if (!this.file) return
    const lines: string[] = []
    for (const [g, offsets] of this.groups) {
      for (const [k, v] of offsets) {
        const [t, p] = k.split('\0') as [string, string]
        lines.push(
          JSON.stringify({ g, t, p: Number(p), o: v.offset, m: v.metadata } satisfies Line),
        )
      }
    }
    writeFileSync(`${this.file}.tmp`, lines.length ? `${lines.join('\n')}\n` : '')
    renameSync(`${this.file}.tmp`, this.file)
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\0${partition}`
}
