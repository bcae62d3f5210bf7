/**
 * The users files of `devstack --kafka-sasl FILE` and `--mongo-users FILE`: JSON,
 * checked against a schema so a typo fails at start with the path that is wrong.
 *
 * @example kafka-sasl.json
 * { "users": { "posts": "posts-secret", "feed": "feed-secret" },
 *   "acls": { "posts": { "write": ["civildiy.posts*"] }, "feed": { "read": ["civildiy.*"] } } }
 * @example mongo-users.json
 * { "posts": { "password": "posts-secret", "authDb": "posts", "databases": ["posts"] } }
 */
import { readFileSync } from 'node:fs'
import { type Static, type TSchema, Type as t } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { saslMechanisms } from './sasl/sasl-users.ts'

const Patterns = t.Array(t.String({ minLength: 1 }))
const KafkaSaslFile = t.Object(
  {
    users: t.Record(t.String({ minLength: 1 }), t.String({ minLength: 1 })),
    mechanisms: t.Optional(t.Array(t.Union(saslMechanisms.map((m) => t.Literal(m))))),
    acls: t.Optional(
      t.Record(
        t.String(),
        t.Object(
          { write: t.Optional(Patterns), read: t.Optional(Patterns) },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
)
const MongoUsersFile = t.Record(
  t.String({ minLength: 1 }),
  t.Object(
    {
      password: t.String({ minLength: 1 }),
      authDb: t.Optional(t.String({ minLength: 1 })),
      databases: t.Union([t.Literal('*'), t.Array(t.String({ minLength: 1 }))]),
    },
    { additionalProperties: false },
  ),
)

/** A file that does not read, parse or match its schema; the message names the file and path. */
export class AuthFileError extends Error {
  override name = 'AuthFileError'
}

function readJson<S extends TSchema>(path: string, schema: S): Static<S> {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new AuthFileError(`${path}: ${(err as Error).message}`)
  }
  const first = Value.Errors(schema, value).First()
  if (first) throw new AuthFileError(`${path}: ${first.path || '/'} ${first.message}`)
  return value as Static<S>
}

/**
 * Reads `--kafka-sasl FILE`.
 * @throws AuthFileError when it cannot be read or does not match.
 */
export const readKafkaSaslFile = (path: string) => readJson(path, KafkaSaslFile)

/**
 * Reads `--mongo-users FILE`.
 * @throws AuthFileError when it cannot be read or does not match.
 */
export const readMongoUsersFile = (path: string) => readJson(path, MongoUsersFile)
