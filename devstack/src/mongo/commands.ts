/**
 * The database commands the official Node driver (7.x) uses, answered with the
 * reply shapes mongod uses. Query, projection, sort, update-operator and
 * aggregation semantics come from `mingo`.
 * Source: https://www.mongodb.com/docs/manual/reference/command/
 */
import { hostname } from 'node:os'
import { calculateObjectSize, type Document, Long, ObjectId } from 'bson'
import { aggregate, update as applyOperators } from 'mingo'
import type { MongoAuth, MongoSession } from './auth.ts'
import type { CursorRegistry } from './cursors.ts'
import { aggregateExact } from './decimal-accumulators.ts'
import { CommandError } from './errors.ts'
import { exactIncrements } from './exact-increments.ts'
import { int64PathsIn, pathsAfterUpdate, widenPaths } from './int64-types.ts'
import { find } from './mingo-query.ts'
import { applyPlainSetUnset } from './plain-set-unset.ts'
import { projectDocument } from './projection.ts'
import {
  type Collection,
  copyDocument,
  type IndexSpec,
  keyOf,
  type Store,
  validateNames,
} from './store.ts'

/** What a command handler can reach. */
export interface CommandContext {
  store: Store
  cursors: CursorRegistry
  db: string
  connectionId: number
  startedAt: number
  remote: string
  /** Users and grants when the server requires authentication; null: open. */
  auth: MongoAuth | null
  /** This connection's authentication state. */
  session: MongoSession
}

type Handler = (cmd: Document, ctx: CommandContext) => Document

/** maxWireVersion 21 is MongoDB 7.0; driver 7.x needs at least 9. */
const MAX_WIRE_VERSION = 21

const handlers: Record<string, Handler> = {
  hello: (c, ctx) => hello(c, ctx),
  isMaster: (c, ctx) => hello(c, ctx),
  ismaster: (c, ctx) => hello(c, ctx),
  ping: () => ({}),
  buildInfo: () => ({
    version: '7.0.0-devstack',
    gitVersion: 'devstack',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16 * 1024 * 1024,
    storageEngines: ['devstack'],
    javascriptEngine: 'none',
  }),
  buildinfo: (c, ctx) => handlers.buildInfo!(c, ctx),
  hostInfo: () => ({
    system: {
      hostname: hostname(),
      cpuArch: process.arch,
      numCores: navigator.hardwareConcurrency,
    },
    os: { type: process.platform },
    extra: {},
  }),
  getParameter: (cmd) =>
    cmd.featureCompatibilityVersion ? { featureCompatibilityVersion: { version: '7.0' } } : {},
  serverStatus: (_c, ctx) => ({
    host: hostname(),
    version: '7.0.0-devstack',
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: (Date.now() - ctx.startedAt) / 1000,
    localTime: new Date(),
  }),
  connectionStatus: (_c, ctx) => {
    const at = ctx.session.user?.indexOf('.') ?? -1
    const user = ctx.session.user
      ? [{ user: ctx.session.user.slice(at + 1), db: ctx.session.user.slice(0, at) }]
      : []
    return { authInfo: { authenticatedUsers: user, authenticatedUserRoles: [] } }
  },
  whatsmyuri: (_c, ctx) => ({ you: ctx.remote }),
  endSessions: () => ({}),
  killSessions: () => ({}),
  killAllSessions: () => ({}),
  saslStart: (cmd, ctx) => {
    if (!ctx.auth)
      throw new CommandError(
        'IllegalOperation',
        'this devstack MongoDB runs without users (start it with --mongo-users); connect without credentials',
      )
    return ctx.auth.saslStart(cmd, ctx.db, ctx.session)
  },
  saslContinue: (cmd, ctx) => {
    if (!ctx.auth) throw new CommandError('IllegalOperation', 'no authentication in progress')
    return ctx.auth.saslContinue(cmd, ctx.db, ctx.session)
  },
  insert,
  find: findCommand,
  getMore,
  killCursors: (cmd, ctx) => ctx.cursors.kill((cmd.cursors as unknown[]).map(Number)),
  update: updateCommand,
  delete: deleteCommand,
  findAndModify,
  findandmodify: (c, ctx) => findAndModify(c, ctx),
  aggregate: aggregateCommand,
  count: (cmd, ctx) => ({ n: count(cmd, ctx) }),
  distinct,
  createIndexes,
  listIndexes,
  dropIndexes,
  listCollections,
  create: (cmd, ctx) => {
    // Accepting it and keeping every document would break what a capped collection promises.
    if (cmd.capped)
      throw new CommandError(
        'InvalidOptions',
        'capped collections are not supported by the devstack MongoDB',
      )
    ctx.store.createCollection(ctx.db, String(cmd.create))
    return {}
  },
  drop: (cmd, ctx) => {
    const coll = ctx.store.dropCollection(ctx.db, String(cmd.drop))
    return coll ? { ns: coll.ns, nIndexesWas: coll.indexes.length } : {}
  },
  dropDatabase: (_c, ctx) => {
    ctx.store.dropDatabase(ctx.db)
    return { dropped: ctx.db }
  },
  listDatabases: (cmd, ctx) => {
    // Sizes are the documents' BSON bytes (mongod reports its files; tools such as
    // `show dbs` only need them non-zero and proportionate).
    const visible = ctx.auth ? ctx.auth.visible(ctx.session) : () => true
    const databases = [...ctx.store.dbs.entries()]
      .filter(([name]) => visible(name))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, colls]) => {
        let size = 0
        for (const coll of colls.values())
          for (const doc of coll.all()) size += calculateObjectSize(doc)
        return { name, sizeOnDisk: size, empty: size === 0 }
      })
    const totalSize = databases.reduce((n, d) => n + d.sizeOnDisk, 0)
    return cmd.nameOnly
      ? { databases: databases.map(({ name }) => ({ name })) }
      : { databases, totalSize, totalSizeMb: Math.floor(totalSize / 2 ** 20) }
  },
}

/**
 * Runs one command and returns its reply document (`ok: 1`, or `ok: 0` with
 * errmsg/code/codeName). Never throws: unknown commands are CommandNotFound (59),
 * operator errors from mingo BadValue (2).
 */
export function runCommand(cmd: Document, ctx: CommandContext): Document {
  const name = Object.keys(cmd)[0] ?? ''
  const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined
  if (!handler)
    return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' }
  try {
    ctx.auth?.authorize(name, ctx.db, ctx.session)
    if (cmd.startTransaction || cmd.autocommit === false || cmd.txnNumber !== undefined) {
      throw new CommandError(
        'IllegalOperation',
        'Transaction numbers are only allowed on a replica set member or mongos',
      )
    }
    return { ...handler(cmd, ctx), ok: 1 }
  } catch (err) {
    if (err instanceof CommandError) return err.toReply()
    return { ok: 0, errmsg: (err as Error).message, code: 2, codeName: 'BadValue' }
  }
}

function hello(cmd: Document, ctx: CommandContext): Document {
  // No topologyVersion: the driver then polls (heartbeatFrequencyMS) instead of streaming hellos.
  return {
    ...ctx.auth?.helloFields(cmd),
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: 16 * 1024 * 1024,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  }
}

function collName(cmd: Document, field: string): string {
  const v = cmd[field]
  if (typeof v !== 'string' || !v)
    throw new CommandError(
      'InvalidNamespace',
      `collection name must be a non-empty string, got ${JSON.stringify(v)}`,
    )
  return v
}

function docsOf(ctx: CommandContext, name: string): Document[] {
  return ctx.store.collection(ctx.db, name)?.all() ?? []
}

/**
 * The documents a filter can match: an `_id` equality is answered from the
 * primary key map, and an equality on the leading field of a secondary index from
 * that index's postings, instead of a collection scan (mingo still applies the
 * whole filter to each candidate).
 */
/** Whether an `_id` condition is a plain value (not an operator expression). */
function isExactId(id: unknown): boolean {
  return (
    id === null ||
    typeof id !== 'object' ||
    !Object.keys(id).some((k) => k.startsWith('$')) ||
    Object.keys(id).length === 0
  )
}

function candidates(coll: Collection | undefined, filter: Document): Document[] {
  if (!coll) return []
  const id = filter._id
  if (id !== undefined && isExactId(id)) {
    const doc = coll.docs.get(keyOf(id))
    return doc ? [doc] : []
  }
  for (const [field, condition] of Object.entries(filter)) {
    if (field.startsWith('$')) continue
    const value = equalityOperand(condition)
    if (value === undefined) continue
    const found = coll.lookup(field, value)
    if (found) return found
  }
  return coll.all()
}

/**
 * The documents matching `filter`, in natural order. A filter that is only an
 * exact `_id` is answered from the primary key map without building a mingo query.
 */
function matching(coll: Collection | undefined, filter: Document): Document[] {
  const found = candidates(coll, filter)
  const keys = Object.keys(filter)
  if (keys.length === 1 && keys[0] === '_id' && isExactId(filter._id)) return found
  return find(found, filter).all() as Document[]
}

/** The value a field condition tests equality with (`v` or `{ $eq: v }`), else undefined. */
function equalityOperand(condition: unknown): unknown {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition))
    return condition
  if (condition instanceof Date || condition instanceof ObjectId) return condition
  const keys = Object.keys(condition)
  if (keys.length === 1 && keys[0] === '$eq') return (condition as Document).$eq
  return undefined
}

function resolver(ctx: CommandContext) {
  return (name: string) => docsOf(ctx, name)
}

function writeError(index: number, err: unknown): Document {
  if (err instanceof CommandError)
    return { index, code: err.code, errmsg: err.message, ...err.extra }
  return { index, code: 2, errmsg: (err as Error).message }
}

// --- CRUD -----------------------------------------------------------------------

function insert(cmd: Document, ctx: CommandContext): Document {
  const coll = ctx.store.ensureCollection(ctx.db, collName(cmd, 'insert'))
  const docs = (cmd.documents ?? []) as Document[]
  const ordered = cmd.ordered !== false
  let n = 0
  const writeErrors: Document[] = []
  for (const [i, doc] of docs.entries()) {
    try {
      ctx.store.logPut(coll, coll.insert(doc, int64PathsIn(doc)))
      n++
    } catch (err) {
      writeErrors.push(writeError(i, err))
      if (ordered) break
    }
  }
  return writeErrors.length ? { n, writeErrors } : { n }
}

function findCommand(cmd: Document, ctx: CommandContext): Document {
  const name = collName(cmd, 'find')
  const filter = (cmd.filter ?? {}) as Document
  // Projected after sort, skip and limit, one document at a time (see projection.ts).
  let cursor = find(candidates(ctx.store.collection(ctx.db, name), filter), filter)
  if (cmd.sort && Object.keys(cmd.sort).length)
    cursor = cursor.sort(cmd.sort as Record<string, 1 | -1>)
  if (cmd.skip) cursor = cursor.skip(Number(cmd.skip))
  const limit = Number(cmd.limit ?? 0)
  if (limit) cursor = cursor.limit(Math.abs(limit))
  const coll = ctx.store.collection(ctx.db, name)
  const found = (cursor.all() as Document[]).map((d) => (coll ? coll.withTypes(d) : d))
  const projection = cmd.projection as Document | undefined
  const results =
    projection && Object.keys(projection).length
      ? found.map((d) => projectDocument(d, projection))
      : found
  const singleBatch = Boolean(cmd.singleBatch) || limit < 0
  return {
    cursor: ctx.cursors.start(
      `${ctx.db}.${name}`,
      results,
      cmd.batchSize as number | undefined,
      singleBatch,
    ),
  }
}

function getMore(cmd: Document, ctx: CommandContext): Document {
  const id = Number(cmd.getMore)
  return {
    cursor: ctx.cursors.more(
      id,
      `${ctx.db}.${collName(cmd, 'collection')}`,
      cmd.batchSize as number | undefined,
    ),
  }
}

/**
 * Applies an update (operators, replacement or pipeline) to a copy of `doc`.
 * `query` is the update's own filter: the positional `$` (`items.$.q`) names the
 * first array element it matched, so mongod applies it with the query, and so
 * must mingo (its `condition`).
 * Source: mongodb.com/docs/manual/reference/operator/update/positional/
 */
function applyUpdate(
  doc: Document,
  u: Document | Document[],
  arrayFilters: Document[] | undefined,
  inserting: boolean,
  query: Document = {},
): Document {
  if (Array.isArray(u)) {
    const [out] = aggregate([copyDocument(doc)], u)
    return { ...(out as Document), _id: doc._id }
  }
  const keys = Object.keys(u)
  const operators = keys.filter((k) => k.startsWith('$'))
  if (operators.length === 0) return { _id: doc._id, ...u }
  if (operators.length !== keys.length)
    throw new CommandError(
      'FailedToParse',
      'Update document mixes update operators and replacement fields',
    )
  const { $setOnInsert, ...rest } = u as Document & { $setOnInsert?: Document }
  const modifier: Document = exactIncrements(doc, { ...rest })
  if (inserting && $setOnInsert) modifier.$set = { ...(modifier.$set ?? {}), ...$setOnInsert }
  const next = copyDocument(doc)
  if (Object.keys(modifier).length && !applyPlainSetUnset(next, modifier, arrayFilters))
    applyOperators(next, modifier, arrayFilters, query, { cloneMode: 'deep' })
  return next
}

const sameSet = (a: Set<string>, b: Set<string>) =>
  a.size === b.size && [...a].every((x) => b.has(x))

/** The document an upsert starts from: the query's equality fields (dotted paths expanded). */
function upsertSeed(q: Document): Document {
  const seed: Document = {}
  const put = (path: string, value: unknown) => {
    const parts = path.split('.')
    let cur = seed
    for (const p of parts.slice(0, -1)) {
      cur[p] ??= {}
      cur = cur[p] as Document
    }
    cur[parts.at(-1)!] = value
  }
  const visit = (cond: Document) => {
    for (const [k, v] of Object.entries(cond)) {
      if (k === '$and' && Array.isArray(v)) for (const c of v) visit(c as Document)
      else if (k.startsWith('$')) continue
      else if (
        v !== null &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        Object.keys(v).some((x) => x.startsWith('$'))
      ) {
        if ('$eq' in v) put(k, (v as Document).$eq)
      } else put(k, v)
    }
  }
  visit(q)
  return seed
}

function updateCommand(cmd: Document, ctx: CommandContext): Document {
  const coll = ctx.store.ensureCollection(ctx.db, collName(cmd, 'update'))
  const ordered = cmd.ordered !== false
  let n = 0
  let nModified = 0
  const upserted: Document[] = []
  const writeErrors: Document[] = []
  for (const [i, spec] of ((cmd.updates ?? []) as Document[]).entries()) {
    try {
      const q = (spec.q ?? {}) as Document
      const u = spec.u as Document | Document[]
      if (spec.multi && !Array.isArray(u) && !Object.keys(u).some((k) => k.startsWith('$'))) {
        throw new CommandError(
          'FailedToParse',
          'multi update is not supported for replacement-style update',
        )
      }
      const matched = matching(coll, q)
      const targets = spec.multi ? matched : matched.slice(0, 1)
      for (const doc of targets) {
        const next = applyUpdate(doc, u, spec.arrayFilters as Document[] | undefined, false, q)
        n++
        const paths = pathsAfterUpdate(coll.int64Of(doc), u as Document, next)
        if (keyOf(next) === keyOf(doc) && sameSet(paths, coll.int64Of(doc))) continue
        coll.replace(doc, next, paths)
        ctx.store.logPut(coll, next)
        nModified++
      }
      if (targets.length === 0 && spec.upsert) {
        const doc = upsertDoc(q, u, spec.arrayFilters as Document[] | undefined)
        const inserted = coll.insert(doc, pathsAfterUpdate(new Set(), u as Document, doc))
        ctx.store.logPut(coll, inserted)
        upserted.push({ index: i, _id: inserted._id })
        n++
      }
    } catch (err) {
      writeErrors.push(writeError(i, err))
      if (ordered) break
    }
  }
  const reply: Document = { n, nModified }
  if (upserted.length) reply.upserted = upserted
  if (writeErrors.length) reply.writeErrors = writeErrors
  return reply
}

function upsertDoc(
  q: Document,
  u: Document | Document[],
  arrayFilters: Document[] | undefined,
): Document {
  const seed = upsertSeed(q)
  const isReplacement = !Array.isArray(u) && !Object.keys(u).some((k) => k.startsWith('$'))
  const base = {
    _id: seed._id ?? (u as Document)._id ?? new ObjectId(),
    ...(isReplacement ? {} : seed),
  }
  return applyUpdate(base, u, arrayFilters, true)
}

function deleteCommand(cmd: Document, ctx: CommandContext): Document {
  const coll = ctx.store.collection(ctx.db, collName(cmd, 'delete'))
  const ordered = cmd.ordered !== false
  let n = 0
  const writeErrors: Document[] = []
  for (const [i, spec] of ((cmd.deletes ?? []) as Document[]).entries()) {
    try {
      if (!coll) continue
      const q = (spec.q ?? {}) as Document
      const matched = matching(coll, q)
      for (const doc of Number(spec.limit) === 1 ? matched.slice(0, 1) : matched) {
        coll.remove(doc)
        ctx.store.logDelete(coll, doc._id)
        n++
      }
    } catch (err) {
      writeErrors.push(writeError(i, err))
      if (ordered) break
    }
  }
  return writeErrors.length ? { n, writeErrors } : { n }
}

function findAndModify(cmd: Document, ctx: CommandContext): Document {
  const name = collName(cmd, Object.keys(cmd)[0]!)
  const coll = ctx.store.ensureCollection(ctx.db, name)
  const query = (cmd.query ?? {}) as Document
  let cursor = find(candidates(coll, query), query)
  if (cmd.sort && Object.keys(cmd.sort).length)
    cursor = cursor.sort(cmd.sort as Record<string, 1 | -1>)
  const match = (cursor.limit(1).all() as Document[])[0]
  // The answer carries the document's Int64s as Int64 (paths before or after the update).
  const project = (doc: Document | null, int64Paths: Set<string>) => {
    if (!doc) return doc
    const typed = widenPaths(doc, int64Paths)
    return cmd.fields ? projectDocument(typed, cmd.fields as Document) : typed
  }
  if (cmd.remove) {
    if (cmd.update)
      throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true')
    if (!match) return { lastErrorObject: { n: 0 }, value: null }
    const paths = coll.int64Of(match)
    coll.remove(match)
    ctx.store.logDelete(coll, match._id)
    return { lastErrorObject: { n: 1 }, value: project(match, paths) }
  }
  if (!cmd.update)
    throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified')
  const arrayFilters = cmd.arrayFilters as Document[] | undefined
  if (match) {
    const next = applyUpdate(
      match,
      cmd.update as Document,
      arrayFilters,
      false,
      (cmd.query ?? {}) as Document,
    )
    const before = coll.int64Of(match)
    const after = pathsAfterUpdate(before, cmd.update as Document, next)
    if (keyOf(next) !== keyOf(match) || !sameSet(before, after)) {
      coll.replace(match, next, after)
      ctx.store.logPut(coll, next)
    }
    return {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: cmd.new ? project(next, after) : project(match, before),
    }
  }
  if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null }
  const seeded = upsertDoc((cmd.query ?? {}) as Document, cmd.update as Document, arrayFilters)
  const paths = pathsAfterUpdate(new Set(), cmd.update as Document, seeded)
  const inserted = coll.insert(seeded, paths)
  ctx.store.logPut(coll, inserted)
  return {
    lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted._id },
    value: cmd.new ? project(inserted, paths) : null,
  }
}

function aggregateCommand(cmd: Document, ctx: CommandContext): Document {
  if (typeof cmd.aggregate !== 'string')
    throw new CommandError(
      'InvalidNamespace',
      'database-level aggregate ({ aggregate: 1 }) is not supported by the devstack MongoDB',
    )
  const pipeline = (cmd.pipeline ?? []) as Document[]
  if (!Array.isArray(pipeline))
    throw new CommandError('TypeMismatch', "'pipeline' option must be specified as an array")
  for (const stage of pipeline) {
    const op = Object.keys(stage)[0]
    if (op === '$out' || op === '$merge')
      throw new CommandError('IllegalOperation', `${op} is not supported by the devstack MongoDB`)
  }
  if (cmd.explain)
    throw new CommandError('IllegalOperation', 'explain is not supported by the devstack MongoDB')
  // A leading $match narrows the input through the indexes as a find would.
  const first = pipeline[0] as Document | undefined
  const input =
    first?.$match && typeof first.$match === 'object'
      ? candidates(ctx.store.collection(ctx.db, cmd.aggregate), first.$match as Document)
      : docsOf(ctx, cmd.aggregate)
  const coll = ctx.store.collection(ctx.db, cmd.aggregate)
  // Stored documents passed through ($match, $sort, $limit) keep their Int64s; computed ones are new.
  const results = aggregateExact(input, pipeline, { collectionResolver: resolver(ctx) }).map((r) =>
    coll && r._id !== undefined && coll.docs.get(keyOf(r._id)) === r ? coll.withTypes(r) : r,
  )
  const batchSize = (cmd.cursor as Document | undefined)?.batchSize as number | undefined
  return { cursor: ctx.cursors.start(`${ctx.db}.${cmd.aggregate}`, results, batchSize) }
}

function count(cmd: Document, ctx: CommandContext): number {
  const query = (cmd.query ?? {}) as Document
  let cursor = find(candidates(ctx.store.collection(ctx.db, collName(cmd, 'count')), query), query)
  if (cmd.skip) cursor = cursor.skip(Number(cmd.skip))
  if (cmd.limit) cursor = cursor.limit(Math.abs(Number(cmd.limit)))
  return cursor.all().length
}

function distinct(cmd: Document, ctx: CommandContext): Document {
  const key = String(cmd.key)
  const seen = new Map<string, unknown>()
  for (const doc of find(
    docsOf(ctx, collName(cmd, 'distinct')),
    (cmd.query ?? {}) as Document,
  ).all() as Document[]) {
    let cur: unknown = doc
    for (const part of key.split('.'))
      cur = cur !== null && typeof cur === 'object' ? (cur as Document)[part] : undefined
    // distinct treats each element of an array value as its own value.
    for (const v of Array.isArray(cur) ? cur : [cur]) if (v !== undefined) seen.set(keyOf(v), v)
  }
  return { values: [...seen.values()] }
}

// --- indexes and collections ------------------------------------------------------

function createIndexes(cmd: Document, ctx: CommandContext): Document {
  const name = collName(cmd, 'createIndexes')
  const existed = ctx.store.collection(ctx.db, name) !== undefined
  const coll = ctx.store.ensureCollection(ctx.db, name)
  const before = coll.indexes.length
  for (const raw of (cmd.indexes ?? []) as Document[]) {
    if (!raw.key || typeof raw.key !== 'object' || Object.keys(raw.key).length === 0)
      throw new CommandError('BadValue', "Index specification must have a non-empty 'key'")
    if (typeof raw.name !== 'string' || !raw.name)
      throw new CommandError('BadValue', "Index specification must have a 'name'")
    const spec: IndexSpec = { v: 2, key: raw.key as IndexSpec['key'], name: raw.name }
    if (raw.unique) spec.unique = true
    if (raw.sparse) spec.sparse = true
    if (raw.partialFilterExpression)
      spec.partialFilterExpression = raw.partialFilterExpression as Document
    if (raw.expireAfterSeconds !== undefined)
      spec.expireAfterSeconds = Number(raw.expireAfterSeconds)
    if (coll.createIndex(spec)) ctx.store.logIndex(coll, spec)
  }
  const after = coll.indexes.length
  const reply: Document = {
    createdCollectionAutomatically: !existed,
    numIndexesBefore: before,
    numIndexesAfter: after,
  }
  if (after === before) reply.note = 'all indexes already exist'
  return reply
}

function requireCollection(ctx: CommandContext, name: string): Collection {
  const coll = ctx.store.collection(ctx.db, name)
  if (!coll) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`)
  return coll
}

function listIndexes(cmd: Document, ctx: CommandContext): Document {
  const coll = requireCollection(ctx, collName(cmd, 'listIndexes'))
  return {
    cursor: ctx.cursors.start(
      coll.ns,
      coll.indexes.map((i) => ({ ...i })),
      (cmd.cursor as Document | undefined)?.batchSize as number | undefined,
    ),
  }
}

function dropIndexes(cmd: Document, ctx: CommandContext): Document {
  const coll = requireCollection(ctx, collName(cmd, 'dropIndexes'))
  const was = coll.indexes.length
  const target = cmd.index
  const names =
    target === '*'
      ? coll.indexes.filter((i) => i.name !== '_id_').map((i) => i.name)
      : Array.isArray(target)
        ? (target as string[])
        : typeof target === 'string'
          ? [target]
          : [coll.indexes.find((i) => keyOf(i.key) === keyOf(target))?.name ?? `${keyOf(target)}`]
  for (const n of names) {
    coll.dropIndex(n)
    ctx.store.logDropIndex(coll, n)
  }
  return { nIndexesWas: was }
}

function listCollections(cmd: Document, ctx: CommandContext): Document {
  validateNames(ctx.db)
  const infos = [...(ctx.store.dbs.get(ctx.db)?.values() ?? [])].map((c) => ({
    name: c.name,
    type: 'collection',
    options: {},
    info: { readOnly: false, uuid: c.uuid },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  }))
  const filtered = find(infos, (cmd.filter ?? {}) as Document).all() as Document[]
  const out = cmd.nameOnly ? filtered.map((c) => ({ name: c.name, type: c.type })) : filtered
  return {
    cursor: ctx.cursors.start(
      `${ctx.db}.$cmd.listCollections`,
      out,
      (cmd.cursor as Document | undefined)?.batchSize as number | undefined,
    ),
  }
}
