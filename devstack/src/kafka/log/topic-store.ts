/**
 * The broker's topics and their partition logs, with topic metadata kept in
 * `<dataDir>/topics.json` and partition segments in `<dataDir>/topics/<topic>-<n>/`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCode } from '../protocol/error-codes.ts'
import { PartitionLog, type RetentionPolicy } from './partition-log.ts'
import { SegmentFiles } from './segment-files.ts'

/** How topics are stored. */
export interface TopicStoreOptions {
  /** Directory for logs and metadata; null keeps everything in memory. */
  dataDir: string | null
  retention: RetentionPolicy
  /** Roll to a new segment file past this many bytes. */
  segmentBytes: number
}

const LEGAL_NAME = /^[a-zA-Z0-9._-]{1,249}$/

/**
 * Why `name` is not a legal topic name, or null when it is.
 * Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], and not "." or "..".
 */
export function topicNameProblem(name: string): string | null {
  if (!LEGAL_NAME.test(name)) return 'topic names are 1..249 characters of [a-zA-Z0-9._-]'
  if (name === '.' || name === '..') return 'topic name cannot be "." or ".."'
  return null
}

export class TopicStore {
  private readonly topics = new Map<string, PartitionLog[]>()

  constructor(private readonly options: TopicStoreOptions) {
    const file = this.metadataFile()
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>
      for (const [name, partitions] of Object.entries(saved)) this.open(name, partitions)
    }
  }

  /** Topic names, sorted. */
  names(): string[] {
    return [...this.topics.keys()].sort()
  }

  /** Number of partitions of `name`, or 0 when it does not exist. */
  partitionCount(name: string): number {
    return this.topics.get(name)?.length ?? 0
  }

  partition(name: string, index: number): PartitionLog | undefined {
    return this.topics.get(name)?.[index]
  }

  /**
   * Creates a topic. Returns the error code CreateTopics answers with:
   * INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS or TOPIC_ALREADY_EXISTS.
   */
  create(name: string, partitions: number): ErrorCode {
    if (topicNameProblem(name)) return ErrorCode.INVALID_TOPIC_EXCEPTION
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000)
      return ErrorCode.INVALID_PARTITIONS
    if (this.topics.has(name)) return ErrorCode.TOPIC_ALREADY_EXISTS
    this.open(name, partitions)
    this.save()
    return ErrorCode.NONE
  }

  /** Grows a topic to `total` partitions (CreatePartitions); shrinking is INVALID_PARTITIONS as in Kafka. */
  grow(name: string, total: number): ErrorCode {
    const logs = this.topics.get(name)
    if (!logs) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    if (!Number.isInteger(total) || total <= logs.length || total > 10_000)
      return ErrorCode.INVALID_PARTITIONS
    for (let p = logs.length; p < total; p++) logs.push(this.newLog(name, p))
    this.save()
    return ErrorCode.NONE
  }

  /** Deletes a topic and its files. */
  delete(name: string): ErrorCode {
    const logs = this.topics.get(name)
    if (!logs) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    for (const log of logs) log.destroy()
    this.topics.delete(name)
    this.save()
    return ErrorCode.NONE
  }

  close(): void {
    for (const logs of this.topics.values()) for (const log of logs) log.close()
  }

  private open(name: string, partitions: number): void {
    const logs: PartitionLog[] = []
    for (let p = 0; p < partitions; p++) logs.push(this.newLog(name, p))
    this.topics.set(name, logs)
  }

  private newLog(name: string, p: number): PartitionLog {
    const dir = this.options.dataDir ? join(this.options.dataDir, 'topics', `${name}-${p}`) : null
    return new PartitionLog(
      this.options.retention,
      dir ? new SegmentFiles(dir, this.options.segmentBytes) : null,
    )
  }

  private metadataFile(): string | null {
    return this.options.dataDir ? join(this.options.dataDir, 'topics.json') : null
  }

  private save(): void {
    const file = this.metadataFile()
    if (!file) return
    mkdirSync(this.options.dataDir!, { recursive: true })
    const saved = Object.fromEntries([...this.topics].map(([n, logs]) => [n, logs.length]))
    writeFileSync(`${file}.tmp`, JSON.stringify(saved))
    renameSync(`${file}.tmp`, file)
  }
}
