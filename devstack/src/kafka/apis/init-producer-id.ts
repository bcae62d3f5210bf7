/**
 * InitProducerId (key 22), v0-1: hands idempotent producers a fresh producer id
 * (epoch 0). Transactional ids are refused with INVALID_REQUEST: this broker
 * implements idempotence, not transactions.
 */
import { ApiKey } from '../protocol/api-keys.ts'
import { ErrorCode } from '../protocol/error-codes.ts'
import type { ApiHandler } from './context.ts'

export const initProducerIdHandler: ApiHandler = {
  apiKey: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, r, w) {
    const transactionalId = r.nullableString()
    r.int32() // transaction_timeout_ms
    w.int32(0)
    if (transactionalId !== null) {
      ctx.broker.log('warn', 'transactions are not supported by the devstack broker', {
        clientId: ctx.clientId,
      })
      w.int16(ErrorCode.INVALID_REQUEST).int64(-1).int16(-1)
      return undefined
    }
    w.int16(ErrorCode.NONE).int64(ctx.broker.nextProducerId()).int16(0)
    return undefined
  },
}
