import { describe, expect, test } from 'bun:test'
import { parseRequestTarget } from './request-target.ts'

const at = (target: string, method = 'GET') => parseRequestTarget(method, `http://api${target}`)

describe('parseRequestTarget', () => {
  test.each([
    ['/auth/login', '/auth/login', '/auth/login'],
    ['/auth/login?next=/x', '/auth/login', '/auth/login?next=/x'],
    ['/auth/%6cogin', '/auth/login', '/auth/login'],
    ['/auth/log%69n/', '/auth/login/', '/auth/login/'],
    ['//auth///login', '/auth/login', '/auth/login'],
    ['/x/../auth/login', '/auth/login', '/auth/login'],
    ['/x/%2e%2e/auth/./login', '/auth/login', '/auth/login'],
    ['/../../auth/login', '/auth/login', '/auth/login'],
    ['/feed/a/..', '/feed/', '/feed/'],
    ['/posts/%e2%9c%93', '/posts/%E2%9C%93', '/posts/%E2%9C%93'],
    ['/feed?q=%2f', '/feed', '/feed?q=%2f'],
  ])('%s is routed as %s', (target, path, pathAndQuery) => {
    expect(at(target)).toEqual({ path, pathAndQuery })
  })

  test.each([
    ['/auth/login#', 'fragment'],
    ['/auth/login?x#y', 'fragment'],
    ['/auth%00/login', 'NUL'],
    ['/feed?x=%00', 'NUL'],
    ['/auth/%zzlogin', 'malformed'],
    ['/feed?x=%4', 'malformed'],
    ['/feed/..%2fauth/login', 'encoded slash'],
    ['/feed/..%5Cauth/login', 'encoded slash'],
  ])('%s is rejected (%s)', (target, reason) => {
    const result = at(target)
    expect('rejected' in result && result.rejected.toLowerCase()).toContain(reason.toLowerCase())
  })

  test('CONNECT and a target without a Host are rejected', () => {
    expect(parseRequestTarget('CONNECT', 'evil.example:443')).toEqual({
      rejected: 'CONNECT is not supported',
    })
    expect(parseRequestTarget('GET', '/feed')).toEqual({
      rejected: 'The request has no Host header',
    })
  })
})
