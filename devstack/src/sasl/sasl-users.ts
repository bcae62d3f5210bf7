/**
 * The users a stand-in accepts, kept as SCRAM verifiers only (the passwords given
 * at start are not retained), and the PLAIN mechanism checked against them.
 * Source: https://www.rfc-editor.org/rfc/rfc4616 (PLAIN), RFC 5802 §3 (verifiers).
 */
import { timingSafeEqual } from 'node:crypto'
import {
  type ScramCredential,
  ScramError,
  type ScramHash,
  scramCredential,
} from './scram-server.ts'

/** SASL mechanisms the stand-ins offer, in the names clients send. */
export const saslMechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type SaslMechanism = (typeof saslMechanisms)[number]

/**
 * @example
 * const users = new SaslUsers({ posts: 'posts-secret' })
 * users.checkPlain(Buffer.from('\0posts\0posts-secret')) // 'posts'
 */
export class SaslUsers {
  private readonly byHash: Record<ScramHash, Map<string, ScramCredential>> = {
    'SHA-256': new Map(),
    'SHA-512': new Map(),
  }

  /** @param passwords user name to password. */
  constructor(passwords: Record<string, string>) {
    for (const [user, password] of Object.entries(passwords)) {
      this.byHash['SHA-256'].set(user, scramCredential('SHA-256', password))
      this.byHash['SHA-512'].set(user, scramCredential('SHA-512', password))
    }
  }

  /** The verifier of `user` for a SCRAM exchange with `hash`, or undefined. */
  credential(hash: ScramHash, user: string): ScramCredential | undefined {
    return this.byHash[hash].get(user)
  }

  /**
   * Checks a PLAIN message (`[authzid] NUL authcid NUL passwd`) and returns the user.
   * @throws ScramError when the message is malformed, asks to act as another
   *   identity, or the user or password is wrong (one message for both).
   */
  checkPlain(message: Uint8Array): string {
    const parts = Buffer.from(message).toString('utf8').split('\0')
    if (parts.length !== 3) throw new ScramError('malformed PLAIN message')
    const [authzid, user, password] = parts as [string, string, string]
    if (authzid && authzid !== user) throw new ScramError('acting as another identity is refused')
    const stored = this.credential('SHA-256', user)
    const given = scramCredential('SHA-256', password, stored?.iterations, stored?.salt)
    if (!stored || !timingSafeEqual(stored.storedKey, given.storedKey))
      throw new ScramError('invalid username or password')
    return user
  }
}
