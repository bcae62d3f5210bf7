/**
 * SaslHandshake (key 17, v0-1) and SaslAuthenticate (key 36, v0-1): PLAIN and
 * SCRAM-SHA-256/512 inside Kafka requests (KIP-152). The raw-token framing of
 * handshake v0 without SaslAuthenticate is not served: kafkajs, librdkafka and
 * kafka-python all use SaslAuthenticate when ApiVersions lists it. A failed
 * authentication answers SASL_AUTHENTICATION_FAILED and then closes the connection,
 * as Kafka does.
 * Source: https://kafka.apache.org/protocol#sasl_handshake,
 * https://cwiki.apache.org/confluence/display/KAFKA/KIP-152+-+Improve+diagnostics+for+SASL+authentication+failures
 */

import type { SaslMechanism } from '../../sasl/sasl-users.ts'
import { ScramError, ScramServerExchange } from '../../sasl/scram-server.ts'
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { ApiHandler, RequestContext } from './context.ts'

export const saslHandshakeHandler: ApiHandler = {
  apiKey: ApiKey.SaslHandshake,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, r, w) {
    const mechanism = r.string()
    const auth = ctx.broker.auth
    const offered = auth?.mechanisms ?? []
    let error: ErrorCode = ErrorCode.NONE
    if (ctx.session.principal || ctx.session.mechanism) error = ErrorCode.ILLEGAL_SASL_STATE
    else if (!offered.includes(mechanism as SaslMechanism))
      error = ErrorCode.UNSUPPORTED_SASL_MECHANISM
    else ctx.session.mechanism = mechanism as SaslMechanism
    w.int16(error).array(offered, (w, m) => w.string(m))
    return undefined
  },
}

export const saslAuthenticateHandler: ApiHandler = {
  apiKey: ApiKey.SaslAuthenticate,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, r, w) {
    const token = r.bytesField()
    const answer = (error: ErrorCode, message: string | null, bytes: Uint8Array) => {
      w.int16(error).string(message).bytes(bytes)
      if (ctx.apiVersion >= 1) w.int64(0) // session_lifetime_ms: no re-authentication required
      return undefined
    }
    const s = ctx.session
    if (!s.mechanism || s.principal) {
      s.closeAfterResponse = true
      return answer(ErrorCode.ILLEGAL_SASL_STATE, 'SaslHandshake must come first', new Uint8Array())
    }
    try {
      const reply = step(ctx, token)
      return answer(ErrorCode.NONE, null, Buffer.from(reply))
    } catch (err) {
      if (!(err instanceof ScramError)) throw err
      ctx.broker.log('warn', 'SASL authentication failed', {
        client: ctx.clientHost,
        clientId: ctx.clientId,
        mechanism: s.mechanism,
        reason: err.message,
      })
      s.closeAfterResponse = true
      return answer(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${s.mechanism}`,
        new Uint8Array(),
      )
    }
  },
}

/** One SASL step: the server's reply; sets the principal once the exchange succeeds. */
function step(ctx: RequestContext, token: Uint8Array): string {
  const s = ctx.session
  const users = ctx.broker.auth!.users
  if (s.mechanism === 'PLAIN') {
    s.principal = users.checkPlain(token)
    return ''
  }
  const text = Buffer.from(token).toString('utf8')
  if (!s.scram) {
    const hash = s.mechanism === 'SCRAM-SHA-256' ? 'SHA-256' : 'SHA-512'
    s.scram = new ScramServerExchange(hash, (user) => users.credential(hash, user))
    return s.scram.first(text)
  }
  const { user, serverFinal } = s.scram.final(text)
  s.scram = null
  s.principal = user
  return serverFinal
}
