/**
 * How the kit authenticates to Kafka and encrypts the link: SASL (PLAIN or
 * SCRAM-SHA-256/512) from KAFKA_SASL_*, TLS from KAFKA_TLS / KAFKA_TLS_CA_FILE.
 * Checked when the service starts, so a half-set pair fails fast (exit 78) instead
 * of retrying a broker that will never accept it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { ConfigError, type ConfigProblem } from '../config.ts'

/** SASL credentials and TLS trust for the Kafka client; both optional. */
export interface KafkaSecurity {
  sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
    username: string
    password: string
  }
  /** Present: connect over TLS; `ca` (PEM) replaces the system roots. */
  tls?: { ca?: string }
}

/**
 * The Kafka security of a loaded config, or undefined for a plaintext, unauthenticated link.
 * @throws ConfigError when a mechanism lacks a user or password, credentials lack a
 *   mechanism, or the CA file does not exist.
 * @example kafkaSecurity(config) // { sasl: { mechanism: 'scram-sha-256', username: 'posts', password: '…' }, tls: { ca: '-----BEGIN…' } }
 */
export function kafkaSecurity(c: {
  KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  KAFKA_SASL_USERNAME?: string
  KAFKA_SASL_PASSWORD?: string
  KAFKA_TLS: boolean
  KAFKA_TLS_CA_FILE?: string
}): KafkaSecurity | undefined {
  const problems: ConfigProblem[] = []
  const need = (variable: string, value: string | undefined, expected: string) => {
    if (!value) problems.push({ variable, expected, got: undefined })
  }
  if (c.KAFKA_SASL_MECHANISM) {
    need('KAFKA_SASL_USERNAME', c.KAFKA_SASL_USERNAME, `a user (KAFKA_SASL_MECHANISM is set)`)
    need('KAFKA_SASL_PASSWORD', c.KAFKA_SASL_PASSWORD, `a password (KAFKA_SASL_MECHANISM is set)`)
  } else if (c.KAFKA_SASL_USERNAME || c.KAFKA_SASL_PASSWORD)
    need(
      'KAFKA_SASL_MECHANISM',
      undefined,
      'plain, scram-sha-256 or scram-sha-512 (credentials are set)',
    )
  if (c.KAFKA_TLS_CA_FILE && !existsSync(c.KAFKA_TLS_CA_FILE))
    problems.push({
      variable: 'KAFKA_TLS_CA_FILE',
      expected: 'an existing PEM file',
      got: c.KAFKA_TLS_CA_FILE,
    })
  if (problems.length) throw new ConfigError(problems)
  const security: KafkaSecurity = {}
  if (c.KAFKA_SASL_MECHANISM)
    security.sasl = {
      mechanism: c.KAFKA_SASL_MECHANISM,
      username: c.KAFKA_SASL_USERNAME!,
      password: c.KAFKA_SASL_PASSWORD!,
    }
  if (c.KAFKA_TLS || c.KAFKA_TLS_CA_FILE)
    security.tls = c.KAFKA_TLS_CA_FILE ? { ca: readFileSync(c.KAFKA_TLS_CA_FILE, 'utf8') } : {}
  return security.sasl || security.tls ? security : undefined
}
