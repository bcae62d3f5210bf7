import { describe, expect, test } from 'bun:test'
import { SaslUsers } from './sasl-users.ts'
import { ScramError, ScramServerExchange, scramCredential } from './scram-server.ts'

// RFC 7677 §3: the SCRAM-SHA-256 example exchange, user "user", password "pencil".
const rfc = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst:
    'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
}
const pencil = scramCredential(
  'SHA-256',
  'pencil',
  4096,
  Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
)
const exchange = (lookup = (u: string) => (u === 'user' ? pencil : undefined)) =>
  new ScramServerExchange('SHA-256', lookup, () => rfc.serverNonce)

describe('SCRAM-SHA-256 server (RFC 7677 example)', () => {
  test('answers the example exchange byte for byte', () => {
    const x = exchange()
    expect(x.first(rfc.clientFirst)).toBe(rfc.serverFirst)
    expect(x.final(rfc.clientFinal)).toEqual({ user: 'user', serverFinal: rfc.serverFinal })
  })

  test('a flipped proof byte is refused', () => {
    const x = exchange()
    x.first(rfc.clientFirst)
    expect(() => x.final(rfc.clientFinal.replace('p=dHzb', 'p=dHzc'))).toThrow(ScramError)
  })

  test('a replayed final message with a different nonce is refused', () => {
    const x = new ScramServerExchange('SHA-256', () => pencil)
    x.first(rfc.clientFirst)
    expect(() => x.final(rfc.clientFinal)).toThrow('nonce mismatch')
  })

  test('an unknown user gets a salt like a real one and fails at the proof', () => {
    const a = exchange(() => undefined).first('n,,n=ghost,r=abc')
    const b = exchange(() => undefined).first('n,,n=ghost,r=abc')
    expect(a).toMatch(/^r=abc.+,s=[A-Za-z0-9+/=]{24},i=4096$/)
    expect(a).toBe(b)
    const x = exchange(() => undefined)
    x.first('n,,n=ghost,r=abc')
    expect(() => x.final(`c=biws,r=abc${rfc.serverNonce},p=AAAA`)).toThrow('invalid proof')
  })

  test.each([
    ['no gs2 header', 'n=user,r=abc'],
    ['channel binding', 'p=tls-unique,,n=user,r=abc'],
    ['no nonce', 'n,,n=user'],
    ['a bad name escape', 'n,,n=us=er,r=abc'],
    ['a mandatory extension', 'n,,m=ext,n=user,r=abc'],
  ])('refuses a client-first-message with %s', (_, message) => {
    expect(() => exchange().first(message)).toThrow(ScramError)
  })

  test('final before first is refused', () => {
    expect(() => exchange().final(rfc.clientFinal)).toThrow(ScramError)
  })
})

describe('PLAIN (RFC 4616)', () => {
  const users = new SaslUsers({ posts: 'posts-secret' })
  const plain = (s: string) => new TextEncoder().encode(s)
  test('accepts the right password, with or without an authzid equal to the user', () => {
    expect(users.checkPlain(plain('\0posts\0posts-secret'))).toBe('posts')
    expect(users.checkPlain(plain('posts\0posts\0posts-secret'))).toBe('posts')
  })
  test.each([
    ['a wrong password', '\0posts\0guess'],
    ['an unknown user', '\0feed\0posts-secret'],
    ['acting as another user', 'auth\0posts\0posts-secret'],
    ['a malformed message', 'posts:posts-secret'],
  ])('refuses %s', (_, message) => {
    expect(() => users.checkPlain(plain(message))).toThrow(ScramError)
  })
})
