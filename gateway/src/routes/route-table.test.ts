import { describe, expect, test } from 'bun:test'
import defaultRoutes from './default-routes.ts'
import { compileRoutes, RouteConfigError } from './route-table.ts'

describe('route table', () => {
  const table = compileRoutes(defaultRoutes)

  test('the longest prefix wins, on segment boundaries only', () => {
    expect(table.match('/feed/global?limit=5')?.prefix).toBe('/feed/global')
    expect(table.match('/feed?cursor=x')?.prefix).toBe('/feed')
    expect(table.match('/feed/live')?.auth).toBe('required')
    expect(table.match('/auth/login')?.rateLimitPolicy?.name).toBe('credentials')
    expect(table.match('/auth/me')?.prefix).toBe('/auth')
    expect(table.match('/feedback')).toBeUndefined()
    expect(table.match('/')).toBeUndefined()
    expect(table.services).toEqual(expect.arrayContaining(['auth', 'profile', 'posts', 'feed']))
  })

  test('defaults are filled: timeout, body limit, retry policy', () => {
    const r = table.match('/profiles/1')!
    expect(r.timeoutMs).toBe(5_000)
    expect(r.maxBodyBytes).toBe(1024 * 1024)
    // Posts and comments have small bodies: their route says so.
    expect(table.match('/posts/1/comments')!.maxBodyBytes).toBe(64 * 1024)
    expect(r.retryPolicy).toEqual({ attempts: 2, baseMs: 25, capMs: 250 })
    expect(table.match('/feed/live')!.timeoutMs).toBe(0)
  })

  test('invalid documents name the problem', () => {
    expect(() => compileRoutes({ routes: [{ prefix: 'feed', service: 'feed' }] })).toThrow(
      RouteConfigError,
    )
    expect(() =>
      compileRoutes({
        routes: [
          { prefix: '/a', service: 'a' },
          { prefix: '/a/', service: 'b' },
        ],
      }),
    ).toThrow('/a appears twice')
    expect(() =>
      compileRoutes({ routes: [{ prefix: '/a', service: 'a', rateLimit: 'nope' }] }),
    ).toThrow('rate limit "nope", which is not defined')
  })
})
