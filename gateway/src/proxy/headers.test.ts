import { expect, test } from 'bun:test'
import { stripHopByHop, upstreamHeaders } from './headers.ts'

test('hop-by-hop and Connection-named headers are dropped; internal ones are the gateway’s', () => {
  const incoming = new Headers({
    connection: 'keep-alive, x-secret-hop',
    'x-secret-hop': '1',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    'x-user-id': 'mallory',
    forwarded: 'for=6.6.6.6',
    'x-forwarded-for': '6.6.6.6',
    host: 'api.example',
    accept: 'application/json',
  })
  const out = upstreamHeaders(incoming, {
    clientAddress: '203.0.113.9',
    proto: 'https',
    host: 'api.example',
    requestId: 'r1',
    userId: 'u1',
  })
  expect(out).toEqual({
    accept: 'application/json',
    'x-forwarded-for': '203.0.113.9',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'api.example',
    'x-request-id': 'r1',
    'x-user-id': 'u1',
  })
  expect(
    stripHopByHop(new Headers({ 'transfer-encoding': 'chunked', a: '1' })).has('transfer-encoding'),
  ).toBe(false)
})

test('a client Accept-Encoding is passed on as sent; a __proto__ header is an ordinary header', () => {
  const out = upstreamHeaders(
    new Headers([
      ['accept-encoding', 'br'],
      ['__proto__', 'x'],
    ]),
    {
      clientAddress: '203.0.113.9',
      proto: 'http',
      host: 'h',
      requestId: 'r1',
    },
  )
  expect(out['accept-encoding']).toBe('br')
  expect(Object.entries(out)).toContainEqual(['__proto__', 'x'])
})
