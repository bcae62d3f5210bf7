/**
 * The kit's Kafka clients with SASL and TLS on: the service's publisher and consumer
 * group member, configured from KAFKA_* variables, exchange an event with a broker
 * that requires SCRAM-SHA-256 over TLS; wrong credentials and an untrusted broker
 * certificate are refused; half-set variables fail at start.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KafkaBroker, startKafkaBroker } from '@civildiy/devstack'
import { Type as t } from '@sinclair/typebox'
import { BaseConfig, ConfigError, loadConfig } from '../config.ts'
import { makeDevCerts, NO_OPENSSL_REASON } from '../testing/dev-certs.ts'
import { silentLogger } from '../testing/silent-logger.ts'
import { type CloudEvent, createEvent, defineEvent } from './envelope.ts'
import { createEventPublisher, startEventConsumer } from './kafka.ts'
import { kafkaSecurity } from './kafka-security.ts'

if (NO_OPENSSL_REASON) console.warn(`SKIPPED kit Kafka SASL_SSL tests: ${NO_OPENSSL_REASON}`)
const dir = mkdtempSync(join(tmpdir(), 'kit-kafka-tls-'))
const otherCa = mkdtempSync(join(tmpdir(), 'kit-kafka-other-ca-'))
let broker: KafkaBroker
const closers: (() => Promise<unknown>)[] = []
const logger = silentLogger()

const PostCreated = defineEvent('post.created', 1, t.Object({ postId: t.String() }))
const security = (env: Record<string, string>) => kafkaSecurity(loadConfig(BaseConfig, env))

beforeAll(async () => {
  if (NO_OPENSSL_REASON) return
  const certs = makeDevCerts(dir, 'kafka')
  makeDevCerts(otherCa, 'other')
  broker = await startKafkaBroker({
    port: 0,
    log: () => {},
    tls: { cert: certs.pem('kafka.pem'), key: certs.pem('kafka.key') },
    sasl: { users: { posts: 'posts-secret' }, mechanisms: ['SCRAM-SHA-256'] },
  })
})
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {})
  await broker?.stop()
})

describe.skipIf(Boolean(NO_OPENSSL_REASON))('Kafka over SASL_SSL from KAFKA_* variables', () => {
  const login = {
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: 'posts',
    KAFKA_SASL_PASSWORD: 'posts-secret',
    KAFKA_TLS_CA_FILE: join(dir, 'ca.pem'),
  }

  test('the publisher and a consumer group member exchange an event', async () => {
    const connection = { brokers: broker.brokers, logger, security: security(login) }
    const received = Promise.withResolvers<CloudEvent>()
    const consumer = await startEventConsumer({
      ...connection,
      clientId: 'posts-consumer',
      groupId: 'sasl-ssl-test',
      topics: ['civildiy.posts'],
      fromBeginning: true,
      handlers: { 'post.created': async (event) => received.resolve(event) },
    })
    closers.push(() => consumer.close())
    const publisher = await createEventPublisher({ ...connection, clientId: 'posts' })
    closers.push(() => publisher.close())
    const event = createEvent(PostCreated, { source: '/posts', data: { postId: 'p1' } })
    await publisher.publish([{ topic: 'civildiy.posts', key: 'p1', event }])
    expect((await received.promise).id).toBe(event.id)
  })

  test('a wrong password is refused', async () => {
    const failure = await createEventPublisher({
      brokers: broker.brokers,
      clientId: 'posts',
      logger,
      security: security({ ...login, KAFKA_SASL_PASSWORD: 'guess' }),
    }).then(
      (p) => p.close().then(() => null),
      (e: Error) => e,
    )
    expect(failure?.message).toContain('invalid credentials')
  })

  test('a broker certificate from another CA is refused', async () => {
    const failure = await createEventPublisher({
      brokers: broker.brokers,
      clientId: 'posts',
      logger,
      security: security({ ...login, KAFKA_TLS_CA_FILE: join(otherCa, 'ca.pem') }),
    }).then(
      (p) => p.close().then(() => null),
      (e: Error) => e,
    )
    expect(failure).not.toBeNull()
  })
})

describe('kafkaSecurity()', () => {
  const problems = (env: Record<string, string>) => {
    try {
      security(env)
      return []
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      return e.problems.map((p) => p.variable)
    }
  }
  test('nothing set: plaintext, no authentication', () => {
    expect(security({})).toBeUndefined()
  })
  test('a mechanism needs a user and a password; credentials need a mechanism', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
    ])
    expect(problems({ KAFKA_SASL_USERNAME: 'posts', KAFKA_SASL_PASSWORD: 'x' })).toEqual([
      'KAFKA_SASL_MECHANISM',
    ])
    expect(problems({ KAFKA_SASL_MECHANISM: 'gssapi' })).toEqual(['KAFKA_SASL_MECHANISM'])
  })
  test('a CA file that does not exist is named; KAFKA_TLS alone trusts the system roots', () => {
    expect(problems({ KAFKA_TLS_CA_FILE: '/nonexistent/ca.pem' })).toEqual(['KAFKA_TLS_CA_FILE'])
    expect(security({ KAFKA_TLS: 'true' })).toEqual({ tls: {} })
  })
})
