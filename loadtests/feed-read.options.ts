import { type Env, type Options, scenarioFor } from './lib/profiles.ts'

/** Home-feed page reads at a target arrival rate. */
export const feedReadOptions = (env: Env): Options => ({
  scenarios: scenarioFor(env, { rate: 200 }),
  setupTimeout: '2m',
  thresholds: {
    'http_req_duration{name:GET /feed}': ['p(95)<25', 'p(99)<50'],
    http_req_failed: ['rate<0.001'],
    checks: ['rate>0.999'],
  },
})
