/**
 * Command errors with MongoDB's codes and code names, answered as
 * `{ ok: 0, errmsg, code, codeName }`. Source:
 * https://www.mongodb.com/docs/manual/reference/error-codes/
 */
export const ErrorCodes = {
  BadValue: 2,
  FailedToParse: 9,
  AuthenticationFailed: 18,
  Unauthorized: 13,
  TypeMismatch: 14,
  InvalidLength: 16,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ProtocolError: 17,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  MechanismUnavailable: 334,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  OperationNotSupportedInTransaction: 263,
  DuplicateKey: 11000,
  Location40324: 40324,
} as const

export type ErrorCodeName = keyof typeof ErrorCodes

export class CommandError extends Error {
  override name = 'CommandError'
  readonly code: number
  constructor(
    readonly codeName: ErrorCodeName,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
    this.code = ErrorCodes[codeName]
  }

  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra }
  }
}
