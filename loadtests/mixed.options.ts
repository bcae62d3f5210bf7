import { type Env, type Options, scenarioFor } from './lib/profiles.ts'

/** Reads and writes through the gateway; WRITE_RATIO (default 0.1) of iterations post. */
export const mixedOptions = (env: Env): Options => ({
  scenarios: scenarioFor(env, { rate: 50 }),
  setupTimeout: '2m',
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:GET /feed}': ['p(95)<50', 'p(99)<150'],
    'http_req_duration{name:POST /posts}': ['p(95)<100', 'p(99)<300'],
    checks: ['rate>0.99'],
  },
})
