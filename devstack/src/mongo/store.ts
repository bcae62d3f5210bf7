/**
 * Databases, collections and indexes in memory, with unique indexes enforced
 * (E11000) and, given a data directory, an append-only BSON operation log that is
 * replayed and compacted at start, so data survives a restart.
 *
 * Query, update and aggregation semantics come from `mingo`; this module only
 * stores documents and keeps indexes consistent. Secondary indexes also keep a
 * posting list per value of their leading field, so an equality filter on that
 * field (the outbox relay's `{ outboxPending: true }`, a timeline's `{ authorId }`)
 * hands mingo the matching documents instead of the whole collection, as mongod's
 * index scan would.
 */
import { randomUUID } from 'node:crypto'
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { type Document, deserialize, EJSON, ObjectId, serialize, UUID } from 'bson'
import { Query } from 'mingo'
import { CommandError } from './errors.ts'
import { int64PathsIn, narrowLongs, widenPaths } from './int64-types.ts'

/** An index as listIndexes shows it. */
export interface IndexSpec {
  v: 2
  key: Record<string, 1 | -1 | string>
  name: string
  unique?: boolean
  sparse?: boolean
  partialFilterExpression?: Document
  expireAfterSeconds?: number
}

const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' }

/** A deep copy that keeps BSON types (structuredClone would lose ObjectId and friends). */
export function copyDocument<T extends Document>(doc: T): T {
  return deserialize(serialize(doc), { promoteLongs: true, promoteValues: true }) as T
}

/** A stable string for any BSON value, used as a map key (canonical Extended JSON). */
export function keyOf(value: unknown): string {
  return EJSON.stringify(value === undefined ? null : value, { relaxed: false })
}

/**
 * A posting-list key for a leading-field value, or null for types the postings do
 * not hold (documents with such values are then found only by a collection scan,
 * which is what the query falls back to for those values).
 */
function equalityKey(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return `s:${value}`
    case 'boolean':
      return `b:${value}`
    case 'number':
      // 0 and -0 compare equal in queries and print the same.
      return Number.isFinite(value) ? `n:${value}` : null
    default:
      if (value instanceof ObjectId) return `o:${value.toHexString()}`
      if (value instanceof Date) return `d:${value.getTime()}`
      return null
  }
}

/** Keys a document is listed under for `value`: each element of an array (multikey), else the value. */
function equalityKeys(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value]
  const keys: string[] = []
  for (const v of values) {
    const k = equalityKey(v)
    if (k !== null) keys.push(k)
  }
  return keys
}

/** Ids of the documents holding each leading-field value of one secondary index. */
interface Postings {
  field: string
  ids: Map<string, Set<string>>
}

function getPath(doc: Document, path: string): unknown {
  let cur: unknown = doc
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[part]
  }
  return cur
}

export class Collection {
  readonly docs = new Map<string, Document>()
  readonly indexes: IndexSpec[] = [ID_INDEX]
  private readonly unique = new Map<string, Map<string, string>>([['_id_', new Map()]])
  private readonly postings = new Map<string, Postings>()
  /** Insertion sequence per document id, so index lookups return natural order. */
  private readonly sequence = new Map<string, number>()
  private nextSequence = 0
  /** Paths of each document (by id key) that hold an Int64 (see int64-types.ts). */
  private readonly int64 = new Map<string, Set<string>>()
  readonly uuid = new UUID()

  constructor(
    readonly db: string,
    readonly name: string,
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`
  }

  private setInt64(id: string, paths: Set<string> | undefined) {
    if (paths?.size) this.int64.set(id, paths)
    else this.int64.delete(id)
  }

  /** The Int64 paths of a stored document. */
  int64Of(doc: Document): Set<string> {
    // Most collections never hold an Int64: no key to compute then.
    if (this.int64.size === 0) return new Set()
    return this.int64.get(keyOf(doc._id)) ?? new Set()
  }

  /** A stored document as it is answered: its Int64 paths as Int64 again. */
  withTypes(doc: Document): Document {
    if (this.int64.size === 0) return doc
    return widenPaths(doc, this.int64.get(keyOf(doc._id)))
  }

  /** Documents in insertion order. Callers must not mutate them. */
  all(): Document[] {
    return [...this.docs.values()]
  }

  /**
   * Inserts a document (assigning an ObjectId `_id` when missing).
   * @throws CommandError DuplicateKey when a unique index already holds its key.
   */
  /** `int64Paths`: the paths that hold an Int64 (see int64-types.ts). */
  insert(doc: Document, int64Paths?: Set<string>): Document {
    // mongod stores _id as the first field whatever order the client sent.
    doc = { _id: doc._id ?? new ObjectId(), ...doc }
    if (Array.isArray(doc._id)) throw new CommandError('BadValue', "can't use an array for _id")
    this.checkUnique(doc, null)
    const id = keyOf(doc._id)
    this.docs.set(id, doc)
    this.setInt64(id, int64Paths)
    this.sequence.set(id, this.nextSequence++)
    this.indexDoc(doc, id)
    return doc
  }

  /**
   * The documents whose `field` equals `value` (or, for an array field, holds it),
   * from the postings of a secondary index led by `field`; null when no such index
   * exists or the value's type is not held in postings (scan instead). Natural order.
   */
  lookup(field: string, value: unknown): Document[] | null {
    const key = equalityKey(value)
    if (key === null) return null
    for (const p of this.postings.values()) {
      if (p.field !== field) continue
      const ids = [...(p.ids.get(key) ?? [])]
      ids.sort((a, b) => (this.sequence.get(a) ?? 0) - (this.sequence.get(b) ?? 0))
      return ids.map((id) => this.docs.get(id)!)
    }
    return null
  }

  /**
   * Replaces the document with the same `_id`.
   * @throws CommandError DuplicateKey on a unique index conflict; ImmutableField if `_id` changed.
   */
  replace(previous: Document, next: Document, int64Paths?: Set<string>): void {
    const id = keyOf(previous._id)
    if (keyOf(next._id) !== id) {
      throw new CommandError(
        'ImmutableField',
        `Performing an update on the path '_id' would modify the immutable field '_id'`,
      )
    }
    next = { _id: next._id, ...next }
    this.checkUnique(next, id)
    this.unindexDoc(previous)
    this.docs.set(id, next)
    this.setInt64(id, int64Paths)
    this.indexDoc(next, id)
  }

  remove(doc: Document): void {
    const id = keyOf(doc._id)
    if (!this.docs.delete(id)) return
    this.int64.delete(id)
    this.sequence.delete(id)
    this.unindexDoc(doc)
  }

  /**
   * Adds an index; an identical one is a no-op.
   * @throws CommandError IndexOptionsConflict / IndexKeySpecsConflict for a clashing name or key,
   *   DuplicateKey when a unique index cannot be built over existing documents.
   */
  createIndex(spec: IndexSpec): boolean {
    const sameName = this.indexes.find((i) => i.name === spec.name)
    const sameKey = this.indexes.find((i) => keyOf(i.key) === keyOf(spec.key))
    if (sameName && keyOf(sameName.key) !== keyOf(spec.key)) {
      throw new CommandError(
        'IndexKeySpecsConflict',
        `An existing index has the same name as the requested index but different keys. Requested index: ${EJSON.stringify(spec)}, existing index: ${EJSON.stringify(sameName)}`,
      )
    }
    if (sameKey) {
      if (Boolean(sameKey.unique) !== Boolean(spec.unique) || sameKey.name !== spec.name) {
        throw new CommandError(
          'IndexOptionsConflict',
          `An equivalent index already exists with a different name or options. Requested index: ${EJSON.stringify(spec)}, existing index: ${EJSON.stringify(sameKey)}`,
        )
      }
      return false
    }
    if (spec.unique) {
      const map = new Map<string, string>()
      for (const [id, doc] of this.docs) {
        const k = this.indexKey(spec, doc)
        if (k === null) continue
        if (map.has(k)) throw this.duplicate(spec, doc)
        map.set(k, id)
      }
      this.unique.set(spec.name, map)
    }
    const field = Object.keys(spec.key)[0]!
    // A partial index leaves documents out whatever their value, and a dotted path
    // can run through arrays of subdocuments: neither can answer a plain equality.
    if (!spec.partialFilterExpression && !field.includes('.')) {
      const postings: Postings = { field, ids: new Map() }
      this.postings.set(spec.name, postings)
      for (const [id, doc] of this.docs) this.post(postings, doc, id)
    }
    this.indexes.push(spec)
    return true
  }

  /** @throws CommandError IndexNotFound; InvalidOptions for `_id_`. */
  dropIndex(name: string): void {
    if (name === '_id_') throw new CommandError('InvalidOptions', 'cannot drop _id index')
    const at = this.indexes.findIndex((i) => i.name === name)
    if (at < 0) throw new CommandError('IndexNotFound', `index not found with name [${name}]`)
    this.indexes.splice(at, 1)
    this.unique.delete(name)
    this.postings.delete(name)
  }

  private post(p: Postings, doc: Document, id: string): void {
    for (const k of equalityKeys(doc[p.field])) {
      const ids = p.ids.get(k)
      if (ids) ids.add(id)
      else p.ids.set(k, new Set([id]))
    }
  }

  private unpost(p: Postings, doc: Document, id: string): void {
    for (const k of equalityKeys(doc[p.field])) {
      const ids = p.ids.get(k)
      if (!ids) continue
      ids.delete(id)
      if (ids.size === 0) p.ids.delete(k)
    }
  }

  /** Index key string of `doc` under `spec`, or null when the index skips it (sparse, partial). */
  private indexKey(spec: IndexSpec, doc: Document): string | null {
    const fields = Object.keys(spec.key)
    const values = fields.map((f) => getPath(doc, f))
    if (spec.sparse && values.every((v) => v === undefined)) return null
    if (spec.partialFilterExpression && !new Query(spec.partialFilterExpression).test(doc))
      return null
    return keyOf(values.map((v) => (v === undefined ? null : v)))
  }

  private checkUnique(doc: Document, selfId: string | null): void {
    for (const spec of this.indexes) {
      const map = this.unique.get(spec.name)
      if (!map) continue
      const k = spec.name === '_id_' ? keyOf([doc._id]) : this.indexKey(spec, doc)
      if (k === null) continue
      const holder = map.get(k)
      if (holder !== undefined && holder !== selfId) throw this.duplicate(spec, doc)
    }
  }

  private indexDoc(doc: Document, id: string): void {
    for (const spec of this.indexes) {
      const map = this.unique.get(spec.name)
      if (!map) continue
      const k = spec.name === '_id_' ? keyOf([doc._id]) : this.indexKey(spec, doc)
      if (k !== null) map.set(k, id)
    }
    for (const p of this.postings.values()) this.post(p, doc, id)
  }

  private unindexDoc(doc: Document): void {
    for (const spec of this.indexes) {
      const map = this.unique.get(spec.name)
      if (!map) continue
      const k = spec.name === '_id_' ? keyOf([doc._id]) : this.indexKey(spec, doc)
      if (k !== null) map.delete(k)
    }
    const id = keyOf(doc._id)
    for (const p of this.postings.values()) this.unpost(p, doc, id)
  }

  private duplicate(spec: IndexSpec, doc: Document): CommandError {
    const keyValue: Document = {}
    for (const f of Object.keys(spec.key)) keyValue[f] = getPath(doc, f) ?? null
    const shown = Object.entries(keyValue)
      .map(([k, v]) => `${k}: ${EJSON.stringify(v, { relaxed: true })}`)
      .join(', ')
    return new CommandError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.ns} index: ${spec.name} dup key: { ${shown} }`,
      {
        keyPattern: spec.key,
        keyValue,
      },
    )
  }
}

type LogEntry =
  | { op: 'put'; db: string; coll: string; doc: Document }
  | { op: 'del'; db: string; coll: string; id: unknown }
  | { op: 'create'; db: string; coll: string }
  | { op: 'dropColl'; db: string; coll: string }
  | { op: 'dropDb'; db: string }
  | { op: 'index'; db: string; coll: string; spec: IndexSpec }
  | { op: 'dropIndex'; db: string; coll: string; name: string }

/** Every database and collection, with optional persistence. */
export class Store {
  readonly dbs = new Map<string, Map<string, Collection>>()
  private readonly logFile: string | null
  private replaying = false

  constructor(dataDir: string | null) {
    this.logFile = dataDir ? join(dataDir, 'mongo.oplog') : null
    if (dataDir) mkdirSync(dataDir, { recursive: true })
    if (this.logFile && existsSync(this.logFile)) {
      this.replay(new Uint8Array(readFileSync(this.logFile)))
      this.compact()
    }
  }

  collection(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name)
  }

  /** Returns the collection, creating it (and its database) on first use, as MongoDB does on insert. */
  ensureCollection(db: string, name: string): Collection {
    validateNames(db, name)
    let colls = this.dbs.get(db)
    if (!colls) {
      colls = new Map()
      this.dbs.set(db, colls)
    }
    let coll = colls.get(name)
    if (!coll) {
      coll = new Collection(db, name)
      colls.set(name, coll)
      this.log({ op: 'create', db, coll: name })
    }
    return coll
  }

  /** @throws CommandError NamespaceExists when it already exists. */
  createCollection(db: string, name: string): Collection {
    if (this.collection(db, name))
      throw new CommandError('NamespaceExists', `Collection ${db}.${name} already exists.`)
    return this.ensureCollection(db, name)
  }

  dropCollection(db: string, name: string): Collection | undefined {
    const coll = this.collection(db, name)
    if (!coll) return undefined
    this.dbs.get(db)!.delete(name)
    if (this.dbs.get(db)!.size === 0) this.dbs.delete(db)
    this.log({ op: 'dropColl', db, coll: name })
    return coll
  }

  dropDatabase(db: string): void {
    this.dbs.delete(db)
    this.log({ op: 'dropDb', db })
  }

  /** Records a write to the log (no-op in memory-only mode). Call after the in-memory change succeeded. */
  logPut(coll: Collection, doc: Document): void {
    this.log({ op: 'put', db: coll.db, coll: coll.name, doc: coll.withTypes(doc) })
  }

  logDelete(coll: Collection, id: unknown): void {
    this.log({ op: 'del', db: coll.db, coll: coll.name, id })
  }

  logIndex(coll: Collection, spec: IndexSpec): void {
    this.log({ op: 'index', db: coll.db, coll: coll.name, spec })
  }

  logDropIndex(coll: Collection, name: string): void {
    this.log({ op: 'dropIndex', db: coll.db, coll: coll.name, name })
  }

  private log(entry: LogEntry): void {
    if (!this.logFile || this.replaying) return
    appendFileSync(this.logFile, serialize({ e: entry }))
  }

  private replay(bytes: Uint8Array): void {
    this.replaying = true
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    let at = 0
    try {
      while (at + 5 <= bytes.byteLength) {
        const size = v.getInt32(at, true)
        // A torn last entry (crash mid-append) ends the replay; everything before it stands.
        if (size < 5 || at + size > bytes.byteLength) break
        const { e } = narrowLongs(
          deserialize(bytes.subarray(at, at + size), { promoteLongs: false, promoteValues: true }),
        ) as { e: LogEntry }
        this.apply(e)
        at += size
      }
    } finally {
      this.replaying = false
    }
  }

  private apply(e: LogEntry): void {
    switch (e.op) {
      case 'create':
        this.ensureCollection(e.db, e.coll)
        break
      case 'put': {
        const coll = this.ensureCollection(e.db, e.coll)
        const prev = coll.docs.get(keyOf(e.doc._id))
        const paths = int64PathsIn(e.doc)
        if (prev) coll.replace(prev, e.doc, paths)
        else coll.insert(e.doc, paths)
        break
      }
      case 'del': {
        const coll = this.collection(e.db, e.coll)
        const prev = coll?.docs.get(keyOf(e.id))
        if (coll && prev) coll.remove(prev)
        break
      }
      case 'dropColl':
        this.dropCollection(e.db, e.coll)
        break
      case 'dropDb':
        this.dropDatabase(e.db)
        break
      case 'index':
        this.ensureCollection(e.db, e.coll).createIndex(e.spec)
        break
      case 'dropIndex':
        this.collection(e.db, e.coll)?.dropIndex(e.name)
        break
    }
  }

  private compact(): void {
    const file = this.logFile!
    const parts: Uint8Array[] = []
    for (const [db, colls] of this.dbs) {
      for (const coll of colls.values()) {
        parts.push(serialize({ e: { op: 'create', db, coll: coll.name } }))
        for (const spec of coll.indexes)
          if (spec.name !== '_id_')
            parts.push(serialize({ e: { op: 'index', db, coll: coll.name, spec } }))
        for (const doc of coll.docs.values())
          parts.push(serialize({ e: { op: 'put', db, coll: coll.name, doc: coll.withTypes(doc) } }))
      }
    }
    const tmp = `${file}.${randomUUID()}.tmp`
    writeFileSync(tmp, Buffer.concat(parts))
    renameSync(tmp, file)
  }
}

/** @throws CommandError InvalidNamespace for names MongoDB rejects. */
export function validateNames(db: string, coll?: string): void {
  if (!db || /[/\\. "$\0]/.test(db) || db.length > 63)
    throw new CommandError('InvalidNamespace', `Invalid database name: '${db}'`)
  if (
    coll !== undefined &&
    (!coll ||
      coll.includes('$') ||
      coll.includes('\0') ||
      coll.startsWith('.') ||
      coll.startsWith('system.'))
  ) {
    throw new CommandError('InvalidNamespace', `Invalid collection name: ${coll}`)
  }
}
