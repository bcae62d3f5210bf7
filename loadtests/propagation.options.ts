import { type Env, type Options, scenarioFor } from './lib/profiles.ts'

/** Post, then poll the follower's home feed; `propagation_ms` is 201 → visible. */
export const propagationOptions = (env: Env): Options => ({
  scenarios: scenarioFor(env, { rate: 10 }),
  setupTimeout: '2m',
  thresholds: {
    propagation_ms: ['p(95)<100', 'p(99)<250'],
    propagation_lost: ['count==0'],
    http_req_failed: ['rate<0.01'],
  },
})
