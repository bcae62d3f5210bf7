/**
 * Upstash accepts a `#!lua flags=allow-key-locking` shebang (lock only the keys
 * in KEYS); open-source Redis rejects the unknown flag ("Unexpected flag in script
 * shebang"), and `@upstash/ratelimit` >= 2.1 puts it on every script. The bridge
 * strips that flag before Redis sees a script, and remembers which SHA1 the
 * client knows the script by, so EVALSHA with the client's hardcoded hashes
 * keeps working. Dropping the flag only means Redis takes its usual global lock.
 */
import { createHash } from 'node:crypto'

const UPSTASH_ONLY_FLAGS = new Set(['allow-key-locking'])

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex')
}

/** Rewrites scripts and script hashes between an Upstash client and a plain Redis. */
export class LuaFlagRewriter {
  /** Client-side SHA1 (of the script as sent) -> SHA1 of the script Redis stores. */
  private readonly shas = new Map<string, string>()

  /** The script without Upstash-only shebang flags; records the hash mapping when it changed. */
  script(source: string): string {
    const newline = source.indexOf('\n')
    const first = newline < 0 ? source : source.slice(0, newline)
    const match = /^#!lua(?:\s+flags=(\S*))?\s*$/.exec(first)
    if (!match?.[1]) return source
    const flags = match[1].split(',').filter((f) => f && !UPSTASH_ONLY_FLAGS.has(f))
    if (flags.length === match[1].split(',').filter(Boolean).length) return source
    const shebang = flags.length ? `#!lua flags=${flags.join(',')}` : '#!lua'
    const rewritten = newline < 0 ? shebang : `${shebang}${source.slice(newline)}`
    this.shas.set(sha1(source), sha1(rewritten))
    return rewritten
  }

  /** The hash Redis knows a script by, given the hash the client uses. */
  sha(clientSha: string): string {
    return this.shas.get(clientSha.toLowerCase()) ?? clientSha
  }

  /**
   * Rewrites a command in place where it carries a script or a script hash
   * (EVAL, EVAL_RO, EVALSHA, EVALSHA_RO, SCRIPT LOAD). Returns the client-side
   * SHA1 for SCRIPT LOAD, whose reply must be that hash, else null.
   */
  rewrite(command: string[]): string | null {
    const name = command[0]?.toUpperCase()
    if ((name === 'EVAL' || name === 'EVAL_RO') && command[1] !== undefined)
      command[1] = this.script(command[1])
    else if ((name === 'EVALSHA' || name === 'EVALSHA_RO') && command[1] !== undefined)
      command[1] = this.sha(command[1])
    else if (
      name === 'SCRIPT' &&
      command[1]?.toUpperCase() === 'LOAD' &&
      command[2] !== undefined
    ) {
      const original = command[2]
      command[2] = this.script(original)
      return sha1(original)
    }
    return null
  }
}
