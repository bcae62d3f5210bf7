/**
 * Authentication and database-level authorization for the MongoDB stand-in:
 * SCRAM-SHA-256 through saslStart / saslContinue, as the Node driver speaks it
 * (mechanism negotiation through `hello.saslSupportedMechs`, `skipEmptyExchange`),
 * and per-user databases in place of MongoDB's roles (a user with `readWrite` on
 * its database is a user whose `databases` lists it). Speculative authentication
 * is not offered: the driver then runs the ordinary exchange.
 * Sources: https://github.com/mongodb/specifications/blob/master/source/auth/auth.md,
 * https://www.mongodb.com/docs/manual/reference/command/saslStart/
 */
import { Binary, type Document } from 'bson'
import { SaslUsers } from '../sasl/sasl-users.ts'
import { ScramError, ScramServerExchange } from '../sasl/scram-server.ts'
import { CommandError } from './errors.ts'

/** A user of the stand-in: its password, where it authenticates, what it may use. */
export interface MongoUser {
  password: string
  /** The authentication database (authSource). Default `admin`. */
  authDb?: string
  /** Databases it may read and write; `*` for all (a root user). */
  databases: string[] | '*'
}

/** Per-connection authentication state. */
export interface MongoSession {
  /** `authDb.user` once authenticated. */
  user: string | null
  scram: ScramServerExchange | null
  conversationDone: boolean
}

/** Commands answered before authentication, as mongod answers them. */
const beforeAuth = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'buildInfo',
  'buildinfo',
  'saslStart',
  'saslContinue',
  'endSessions',
  'connectionStatus',
])
/** Commands an authenticated user may run on any database (no data involved). */
const anyDatabase = new Set([
  'hostInfo',
  'getParameter',
  'serverStatus',
  'whatsmyuri',
  'killSessions',
  'listDatabases',
])

/**
 * The users of a stand-in that requires authentication, with the commands that
 * authenticate and the check that guards every other command.
 */
export class MongoAuth {
  private readonly verifiers: SaslUsers
  private readonly grants = new Map<string, MongoUser>()

  /** @param users user name to its password, authentication database and databases. */
  constructor(users: Record<string, MongoUser>) {
    const passwords: Record<string, string> = {}
    for (const [name, user] of Object.entries(users)) {
      const key = `${user.authDb ?? 'admin'}.${name}`
      passwords[key] = user.password
      this.grants.set(key, user)
    }
    this.verifiers = new SaslUsers(passwords)
  }

  /** The `saslSupportedMechs` answer of hello (the same for every name, so names cannot be probed). */
  helloFields(cmd: Document): Document {
    return typeof cmd.saslSupportedMechs === 'string'
      ? { saslSupportedMechs: ['SCRAM-SHA-256'] }
      : {}
  }

  /**
   * Refuses a command the connection may not run on `db`.
   * @throws CommandError Unauthorized (13), as mongod words it.
   */
  authorize(command: string, db: string, session: MongoSession): void {
    if (beforeAuth.has(command)) return
    if (!session.user)
      throw new CommandError('Unauthorized', `Command ${command} requires authentication`)
    const grant = this.grants.get(session.user)!
    if (anyDatabase.has(command) || grant.databases === '*' || grant.databases.includes(db)) return
    throw new CommandError(
      'Unauthorized',
      `not authorized on ${db} to execute command { ${command}: ... }`,
    )
  }

  /** The databases `listDatabases` shows this connection (authorizedDatabases). */
  visible(session: MongoSession): (db: string) => boolean {
    const grant = session.user ? this.grants.get(session.user) : undefined
    return (db) => grant?.databases === '*' || Boolean(grant?.databases.includes(db))
  }

  /**
   * saslStart: begins SCRAM-SHA-256 for `db.user`.
   * @throws CommandError MechanismUnavailable for another mechanism, AuthenticationFailed
   *   for a malformed first message.
   */
  saslStart(cmd: Document, db: string, session: MongoSession): Document {
    if (cmd.mechanism !== 'SCRAM-SHA-256')
      throw new CommandError(
        'MechanismUnavailable',
        `Received authentication for mechanism ${cmd.mechanism} which is not enabled`,
      )
    session.user = null
    session.conversationDone = false
    session.scram = new ScramServerExchange('SHA-256', (user) =>
      this.verifiers.credential('SHA-256', `${db}.${user}`),
    )
    return this.step(session, cmd.payload, (x, text) => x.first(text))
  }

  /**
   * saslContinue: checks the proof; authenticates the connection as `db.user`.
   * @throws CommandError AuthenticationFailed (18) on a wrong proof or a stray continue.
   */
  saslContinue(cmd: Document, db: string, session: MongoSession): Document {
    if (session.conversationDone) return { conversationId: 1, done: true, payload: new Binary() }
    return this.step(session, cmd.payload, (x, text) => {
      const { user, serverFinal } = x.final(text)
      session.user = `${db}.${user}`
      session.conversationDone = true
      return serverFinal
    })
  }

  private step(
    session: MongoSession,
    payload: unknown,
    run: (x: ScramServerExchange, text: string) => string,
  ): Document {
    try {
      if (!session.scram || !(payload instanceof Binary))
        throw new ScramError('no SCRAM conversation or no payload')
      const reply = run(session.scram, Buffer.from(payload.buffer).toString('utf8'))
      return {
        conversationId: 1,
        done: session.conversationDone,
        payload: new Binary(Buffer.from(reply)),
      }
    } catch (err) {
      if (!(err instanceof ScramError)) throw err
      session.scram = null
      // One answer for every failure, as mongod: a client cannot tell a wrong user from a wrong password.
      throw new CommandError('AuthenticationFailed', 'Authentication failed.')
    }
  }
}
