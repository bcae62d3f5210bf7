import { expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '@civildiy/kit'
import { AuthConfig } from './config.ts'

const db = 'postgres://u@db/auth'

test('defaults fill the rest of an environment that names only the database, and the result is frozen', () => {
  const config = loadConfig(AuthConfig, { DATABASE_URL: db })
  expect(config).toMatchObject({
    PORT: 3001,
    HOST: '0.0.0.0',
    NODE_ENV: 'development',
    JWT_ISSUER: 'civildiy-auth',
    ACCESS_TOKEN_TTL_SEC: 900,
  })
  expect(Object.isFrozen(config)).toBe(true)
  expect(
    loadConfig(AuthConfig, { DATABASE_URL: db, PORT: '4000', KAFKA_BROKERS: 'a:9092,b:9093' }),
  ).toMatchObject({
    PORT: 4000,
    KAFKA_BROKERS: 'a:9092,b:9093',
  })
})

test('invalid variables are named, one line each, with what was expected', () => {
  try {
    loadConfig(AuthConfig, { PORT: 'eighty', NODE_ENV: 'staging', DATABASE_URL: 'mysql://x' })
    throw new Error('expected a ConfigError')
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const lines = (err as ConfigError).message.split('\n')
    expect(lines).toHaveLength(3)
    expect(lines.find((l) => l.includes('PORT'))).toBe(
      'config: PORT is "eighty"; expected a port number 0..65535 (0: any free port)',
    )
    expect(lines.find((l) => l.includes('NODE_ENV'))).toContain(
      'one of development, test, production',
    )
    expect(lines.find((l) => l.includes('DATABASE_URL'))).toContain('postgres://')
  }
})
