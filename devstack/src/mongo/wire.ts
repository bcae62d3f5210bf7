/**
 * MongoDB wire protocol framing: the standard message header, OP_MSG (sections
 * kind 0 and 1, optional CRC-32C checksum) and, for the legacy handshake only,
 * OP_QUERY and OP_REPLY. All integers are little-endian.
 *
 * Source: https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 */
import { crc32c } from '@node-rs/crc32'
import { type Document, deserialize, serialize } from 'bson'
import { narrowLongs } from './int64-types.ts'

export const OpCode = { REPLY: 1, QUERY: 2004, COMPRESSED: 2012, MSG: 2013 } as const

/** OP_MSG flag bits. */
export const MsgFlag = {
  checksumPresent: 1 << 0,
  moreToCome: 1 << 1,
  exhaustAllowed: 1 << 16,
} as const

/** A message that cannot be decoded; the connection that sent it is closed. */
export class WireError extends Error {
  override name = 'WireError'
}

export interface MessageHeader {
  messageLength: number
  requestId: number
  responseTo: number
  opCode: number
}

/** A decoded command, from OP_MSG or a legacy OP_QUERY on `<db>.$cmd`. */
export interface IncomingCommand {
  header: MessageHeader
  /** The command document, with kind-1 sequences folded in under their identifiers. */
  command: Document
  /** Database, from `$db` (OP_MSG) or the namespace (OP_QUERY); '' when an OP_MSG lacks `$db`. */
  db: string
  /** OP_MSG moreToCome: the client expects no reply (unacknowledged write). */
  noReply: boolean
  legacy: boolean
}

const HEADER = 16
// Int64s decode as Long and are narrowed (with their paths remembered) by int64-types.ts.
const BSON_OPTIONS = {
  promoteLongs: false,
  promoteValues: true,
  promoteBuffers: false,
  bsonRegExp: false,
} as const

export function readHeader(frame: Uint8Array): MessageHeader {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  return {
    messageLength: v.getInt32(0, true),
    requestId: v.getInt32(4, true),
    responseTo: v.getInt32(8, true),
    opCode: v.getInt32(12, true),
  }
}

/**
 * Decodes a complete message (header included).
 * @throws WireError for unsupported opcodes, bad checksums, unknown required flags or malformed sections.
 */
export function decodeMessage(frame: Uint8Array): IncomingCommand {
  const header = readHeader(frame)
  if (header.opCode === OpCode.MSG) return decodeOpMsg(frame, header)
  if (header.opCode === OpCode.QUERY) return decodeOpQuery(frame, header)
  throw new WireError(`unsupported opcode ${header.opCode}`)
}

function decodeOpMsg(frame: Uint8Array, header: MessageHeader): IncomingCommand {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const flags = v.getUint32(HEADER, true)
  // Bits 0-15 are "required": a receiver must reject ones it does not know.
  if (flags & 0xffff & ~(MsgFlag.checksumPresent | MsgFlag.moreToCome))
    throw new WireError(`unknown required OP_MSG flag bits 0x${flags.toString(16)}`)
  let end = frame.byteLength
  if (flags & MsgFlag.checksumPresent) {
    end -= 4
    const expected = v.getUint32(end, true)
    if (crc32c(Buffer.from(frame.buffer, frame.byteOffset, end)) !== expected)
      throw new WireError('OP_MSG checksum mismatch')
  }
  let at = HEADER + 4
  let body: Document | null = null
  const sequences: [string, Document[]][] = []
  while (at < end) {
    const kind = frame[at]
    at += 1
    if (kind === 0) {
      const size = readDocSize(v, at, end)
      body = deserialize(frame.subarray(at, at + size), BSON_OPTIONS)
      at += size
    } else if (kind === 1) {
      const size = v.getInt32(at, true)
      const stop = at + size
      if (size < 5 || stop > end) throw new WireError('document sequence runs past the message')
      let p = at + 4
      const nul = frame.indexOf(0, p)
      if (nul < 0 || nul >= stop) throw new WireError('unterminated sequence identifier')
      const identifier = new TextDecoder().decode(frame.subarray(p, nul))
      p = nul + 1
      const docs: Document[] = []
      while (p < stop) {
        const dsize = readDocSize(v, p, stop)
        docs.push(deserialize(frame.subarray(p, p + dsize), BSON_OPTIONS))
        p += dsize
      }
      sequences.push([identifier, docs])
      at = stop
    } else {
      throw new WireError(`unknown OP_MSG section kind ${kind}`)
    }
  }
  if (!body) throw new WireError('OP_MSG without a body section')
  for (const [id, docs] of sequences) body[id] = docs
  // Without $db the message is still well framed: mongod answers it with an error
  // (40571) and keeps the connection, so the caller decides, not the decoder.
  const db = typeof body.$db === 'string' ? body.$db : ''
  narrowLongs(body)
  return { header, command: body, db, noReply: Boolean(flags & MsgFlag.moreToCome), legacy: false }
}

function decodeOpQuery(frame: Uint8Array, header: MessageHeader): IncomingCommand {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  let at = HEADER + 4 // flags
  const nul = frame.indexOf(0, at)
  if (nul < 0) throw new WireError('unterminated collection name')
  const ns = new TextDecoder().decode(frame.subarray(at, nul))
  at = nul + 1 + 8 // numberToSkip, numberToReturn
  const size = readDocSize(v, at, frame.byteLength)
  let query = deserialize(frame.subarray(at, at + size), BSON_OPTIONS)
  if (!ns.endsWith('.$cmd'))
    throw new WireError(`OP_QUERY is only accepted for commands, not on "${ns}"`)
  // Legacy drivers may wrap the command as { $query: {...}, $readPreference: ... }.
  if (query.$query && typeof query.$query === 'object') query = query.$query
  narrowLongs(query)
  return { header, command: query, db: ns.slice(0, -'.$cmd'.length), noReply: false, legacy: true }
}

function readDocSize(v: DataView, at: number, end: number): number {
  if (at + 5 > end) throw new WireError('truncated BSON document')
  const size = v.getInt32(at, true)
  if (size < 5 || at + size > end)
    throw new WireError(`BSON document of ${size} bytes runs past the message`)
  return size
}

/** Encodes a reply to `to`: OP_MSG for OP_MSG requests, OP_REPLY for legacy OP_QUERY. */
export function encodeReply(requestId: number, to: IncomingCommand, doc: Document): Uint8Array {
  const body = serialize(doc)
  if (to.legacy) {
    const out = new Uint8Array(HEADER + 20 + body.byteLength)
    const v = new DataView(out.buffer)
    writeHeader(v, out.byteLength, requestId, to.header.requestId, OpCode.REPLY)
    v.setInt32(HEADER, 8, true) // responseFlags: AwaitCapable
    v.setBigInt64(HEADER + 4, 0n, true) // cursorID
    v.setInt32(HEADER + 12, 0, true) // startingFrom
    v.setInt32(HEADER + 16, 1, true) // numberReturned
    out.set(body, HEADER + 20)
    return out
  }
  const out = new Uint8Array(HEADER + 5 + body.byteLength)
  const v = new DataView(out.buffer)
  writeHeader(v, out.byteLength, requestId, to.header.requestId, OpCode.MSG)
  v.setUint32(HEADER, 0, true)
  out[HEADER + 4] = 0
  out.set(body, HEADER + 5)
  return out
}

function writeHeader(
  v: DataView,
  length: number,
  requestId: number,
  responseTo: number,
  opCode: number,
): void {
  v.setInt32(0, length, true)
  v.setInt32(4, requestId, true)
  v.setInt32(8, responseTo, true)
  v.setInt32(12, opCode, true)
}
