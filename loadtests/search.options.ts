import { type Env, type Options, scenarioFor } from './lib/profiles.ts'

/** Post a text with a word of its own, then search for it; `search_propagation_ms` is 201 → found. */
export const searchOptions = (env: Env): Options => ({
  scenarios: scenarioFor(env, { rate: 5 }),
  setupTimeout: '2m',
  thresholds: {
    search_propagation_ms: ['p(95)<250', 'p(99)<500'],
    search_lost: ['count==0'],
    'http_req_duration{name:GET /search}': ['p(95)<50', 'p(99)<100'],
    http_req_failed: ['rate<0.01'],
  },
})
