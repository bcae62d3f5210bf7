/**
 * The auth flow through the gateway: register, login, /auth/me.
 *   k6 run -e BASE_URL=http://localhost:8080 -e PROFILE=load loadtests/auth-flow.ts
 * Note the gateway's credentials rate limit (RATE_LIMIT_CREDENTIALS_PER_MIN,
 * default 20/min per address): raise it for load runs from one machine.
 */
import { check } from 'k6'
import http from 'k6/http'
import { authFlowOptions } from './auth-flow.options.ts'
import { auth, BASE_URL, signUp } from './lib/api.ts'

export const options = authFlowOptions(__ENV)

export default function () {
  const s = signUp('auth')
  const me = http.get(`${BASE_URL}/auth/me`, { headers: auth(s), tags: { name: 'GET /auth/me' } })
  check(me, {
    'me 200': (r) => r.status === 200,
    'me is the user': (r) => r.json('id') === s.userId,
  })
}
