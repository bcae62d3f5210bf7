/**
 * Server-side cursors: results are kept after the first batch and handed out by
 * getMore until exhausted, killed, or idle for longer than the cursor timeout
 * (mongod's cursorTimeoutMillis, default 10 minutes).
 * Source: https://www.mongodb.com/docs/manual/reference/command/getMore/
 */
import { calculateObjectSize, type Document, Long } from 'bson'
import { CommandError } from './errors.ts'

/** Keeps a batch under the 16 MiB BSON limit of the reply that carries it. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024
/** Default size of a first batch (find and aggregate), as in mongod. */
export const DEFAULT_BATCH_SIZE = 101

interface OpenCursor {
  ns: string
  docs: Document[]
  at: number
  lastUsed: number
}

export class CursorRegistry {
  private readonly open = new Map<number, OpenCursor>()
  private nextId = Math.floor(Math.random() * 2 ** 40) + 1
  private readonly sweeper: ReturnType<typeof setInterval>

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.expire(), Math.min(60_000, Math.max(100, timeoutMs / 4)))
    this.sweeper.unref?.()
  }

  /**
   * Returns the first batch and, when more remain, a cursor id for getMore
   * (0 when exhausted or `singleBatch`).
   */
  start(
    ns: string,
    docs: Document[],
    batchSize: number | undefined,
    singleBatch = false,
  ): { firstBatch: Document[]; id: Long; ns: string } {
    const cursor: OpenCursor = { ns, docs, at: 0, lastUsed: this.now() }
    const firstBatch = this.take(cursor, batchSize ?? DEFAULT_BATCH_SIZE)
    if (singleBatch || cursor.at >= docs.length) return { firstBatch, id: Long.ZERO, ns }
    const id = this.nextId++
    this.open.set(id, cursor)
    return { firstBatch, id: Long.fromNumber(id), ns }
  }

  /**
   * The next batch of cursor `id` on namespace `ns`.
   * @throws CommandError CursorNotFound for unknown or expired ids, Unauthorized for another namespace.
   */
  more(
    id: number,
    ns: string,
    batchSize: number | undefined,
  ): { nextBatch: Document[]; id: Long; ns: string } {
    const cursor = this.open.get(id)
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id} not found`)
    if (cursor.ns !== ns)
      throw new CommandError(
        'Unauthorized',
        `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`,
      )
    cursor.lastUsed = this.now()
    const nextBatch = this.take(cursor, batchSize ?? Number.MAX_SAFE_INTEGER)
    if (cursor.at >= cursor.docs.length) {
      this.open.delete(id)
      return { nextBatch, id: Long.ZERO, ns }
    }
    return { nextBatch, id: Long.fromNumber(id), ns }
  }

  /** killCursors: splits the ids into killed and not found. */
  kill(ids: number[]): { cursorsKilled: Long[]; cursorsNotFound: Long[] } {
    const killed: Long[] = []
    const notFound: Long[] = []
    for (const id of ids) (this.open.delete(id) ? killed : notFound).push(Long.fromNumber(id))
    return { cursorsKilled: killed, cursorsNotFound: notFound }
  }

  get size(): number {
    return this.open.size
  }

  close(): void {
    clearInterval(this.sweeper)
    this.open.clear()
  }

  private take(cursor: OpenCursor, batchSize: number): Document[] {
    const out: Document[] = []
    let bytes = 0
    const limit = batchSize <= 0 ? DEFAULT_BATCH_SIZE : batchSize
    while (cursor.at < cursor.docs.length && out.length < limit) {
      const doc = cursor.docs[cursor.at]!
      const size = calculateObjectSize(doc)
      if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break
      out.push(doc)
      bytes += size
      cursor.at++
    }
    return out
  }

  private expire(): void {
    const now = this.now()
    for (const [id, c] of this.open) if (now - c.lastUsed > this.timeoutMs) this.open.delete(id)
  }
}
