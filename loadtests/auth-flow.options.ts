import { type Env, type Options, scenarioFor } from './lib/profiles.ts'

/** Sign-up, login and /auth/me per iteration. */
export const authFlowOptions = (env: Env): Options => ({
  scenarios: scenarioFor(env, { rate: 5 }),
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:POST /auth/login}': ['p(95)<500', 'p(99)<1000'],
    'http_req_duration{name:GET /auth/me}': ['p(95)<50', 'p(99)<100'],
    checks: ['rate>0.99'],
  },
})
