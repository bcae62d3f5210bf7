/**
 * The server side of a SCRAM exchange (RFC 5802, with SHA-256 per RFC 7677 and
 * SHA-512 as Kafka names it), shared by the Kafka stand-in (SaslAuthenticate) and
 * the MongoDB stand-in (saslStart / saslContinue). Passwords are kept only as
 * RFC 5802 §3 verifiers (StoredKey, ServerKey), never in the clear.
 *
 * Not implemented: channel binding (a `p=` GS2 header is refused), SASLprep of
 * non-ASCII passwords (RFC 4013; stand-in users have ASCII passwords).
 * Source: https://www.rfc-editor.org/rfc/rfc5802 §5 (message syntax), §3 (algorithm).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'

/** A SCRAM hash, named as SASL mechanisms name it. */
export type ScramHash = 'SHA-256' | 'SHA-512'

/** What the server stores for one user (RFC 5802 §3): no password. */
export interface ScramCredential {
  salt: Buffer
  iterations: number
  storedKey: Buffer
  serverKey: Buffer
}

/** A client message that does not parse, an unknown user or a wrong proof; `message` is safe to send back. */
export class ScramError extends Error {
  override name = 'ScramError'
}

const nodeHash = (hash: ScramHash) => (hash === 'SHA-256' ? 'sha256' : 'sha512')
const hmac = (hash: ScramHash, key: Buffer, text: string) =>
  createHmac(nodeHash(hash), key).update(text).digest()

/**
 * Derives the verifiers of `password` (Hi() is PBKDF2 with HMAC, RFC 5802 §2.2).
 * @param iterations at least 4096, Kafka's minimum for SCRAM.
 * @example const alice = scramCredential('SHA-256', 'alice-secret')
 */
export function scramCredential(
  hash: ScramHash,
  password: string,
  iterations = 4096,
  salt: Buffer = randomBytes(16),
): ScramCredential {
  const salted = pbkdf2Sync(
    password,
    salt,
    iterations,
    hash === 'SHA-256' ? 32 : 64,
    nodeHash(hash),
  )
  const clientKey = hmac(hash, salted, 'Client Key')
  return {
    salt,
    iterations,
    storedKey: createHash(nodeHash(hash)).update(clientKey).digest(),
    serverKey: hmac(hash, salted, 'Server Key'),
  }
}

/** RFC 5802 §5.1 attribute list: `a=1,b=2` into a map (values may contain `=`). */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    // Kafka's SCRAM extensions (KIP-84, e.g. tokenauth=true) have longer names than RFC attributes.
    if (eq < 1) throw new ScramError(`malformed SCRAM attribute "${part.slice(0, 20)}"`)
    out.set(part.slice(0, eq), part.slice(eq + 1))
  }
  return out
}

/** saslname (RFC 5802 §5.1): `=2C` is a comma and `=3D` an equals sign; any other `=` is invalid. */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError('invalid username encoding')
  return name.replaceAll('=2C', ',').replaceAll('=3D', '=')
}

/**
 * One authentication: feed it the client's first message, then its final one.
 * An unknown user gets a made-up salt and fails at the proof, so a client cannot
 * tell unknown users from wrong passwords (RFC 5802 §5.1, "e=unknown-user" is optional).
 *
 * @example
 * const exchange = new ScramServerExchange('SHA-256', (user) => credentials.get(user))
 * send(exchange.first('n,,n=alice,r=abc')); const { user, serverFinal } = exchange.final(clientFinal)
 */
export class ScramServerExchange {
  private gs2Header = ''
  private nonce = ''
  private authPrefix = ''
  private user = ''
  private credential: ScramCredential | undefined

  /** @param serverNonce the server's part of the nonce; fixed only to check RFC 7677's example. */
  constructor(
    private readonly hash: ScramHash,
    private readonly lookup: (user: string) => ScramCredential | undefined,
    private readonly serverNonce: () => string = () => randomBytes(18).toString('base64'),
  ) {}

  /**
   * Answers client-first-message with server-first-message.
   * @throws ScramError on a malformed message or a channel-binding request.
   */
  first(clientFirst: string): string {
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/.exec(clientFirst)
    if (!m) throw new ScramError('malformed client-first-message')
    if (m[1]!.startsWith('p=')) throw new ScramError('channel binding is not supported')
    const bare = m[3]!
    const attrs = attributes(bare)
    if (attrs.has('m')) throw new ScramError('mandatory extensions are not supported')
    const user = attrs.get('n')
    const clientNonce = attrs.get('r')
    if (!user || !clientNonce) throw new ScramError('client-first-message needs n= and r=')
    this.user = decodeSaslName(user)
    this.gs2Header = `${m[1]},${m[2] ?? ''},`
    this.nonce = clientNonce + this.serverNonce()
    this.credential =
      this.lookup(this.user) ??
      scramCredential(this.hash, randomBytes(16).toString('hex'), 4096, fakeSalt(this.user))
    const serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`
    this.authPrefix = `${bare},${serverFirst}`
    return serverFirst
  }

  /**
   * Checks client-final-message's proof; answers with server-final-message.
   * @throws ScramError when the nonce, channel binding or proof is wrong, or the user is unknown.
   */
  final(clientFinal: string): { user: string; serverFinal: string } {
    const credential = this.credential
    if (!credential) throw new ScramError('client-final-message before client-first-message')
    const at = clientFinal.lastIndexOf(',p=')
    if (at < 0) throw new ScramError('client-final-message has no proof')
    const withoutProof = clientFinal.slice(0, at)
    const attrs = attributes(withoutProof)
    if (attrs.get('r') !== this.nonce) throw new ScramError('nonce mismatch')
    if (attrs.get('c') !== Buffer.from(this.gs2Header).toString('base64'))
      throw new ScramError('channel binding mismatch')
    const proof = Buffer.from(clientFinal.slice(at + 3), 'base64')
    const authMessage = `${this.authPrefix},${withoutProof}`
    const signature = hmac(this.hash, credential.storedKey, authMessage)
    if (proof.length !== signature.length) throw new ScramError('invalid proof')
    const clientKey = Buffer.alloc(proof.length)
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ signature[i]!
    const stored = createHash(nodeHash(this.hash)).update(clientKey).digest()
    if (!timingSafeEqual(stored, credential.storedKey)) throw new ScramError('invalid proof')
    const serverSignature = hmac(this.hash, credential.serverKey, authMessage)
    return { user: this.user, serverFinal: `v=${serverSignature.toString('base64')}` }
  }
}

const fakeSaltKey = randomBytes(32)
/** The same salt for the same unknown name on every attempt, so repeated probes look like a real user. */
function fakeSalt(user: string): Buffer {
  return createHmac('sha256', fakeSaltKey).update(user).digest().subarray(0, 16)
}
