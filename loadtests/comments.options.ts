import { type Env, type Options, scenarioFor } from './lib/profiles.ts'

/** Comment on a post, then read it back: `comment_propagation_ms` is 201 → counted in the feed. */
export const commentsOptions = (env: Env): Options => ({
  scenarios: scenarioFor(env, { rate: 5 }),
  setupTimeout: '2m',
  thresholds: {
    comment_propagation_ms: ['p(95)<250', 'p(99)<500'],
    comment_lost: ['count==0'],
    'http_req_duration{name:POST /posts/:id/comments}': ['p(95)<50', 'p(99)<100'],
    'http_req_duration{name:GET /posts/:id/comments}': ['p(95)<50', 'p(99)<100'],
    http_req_failed: ['rate<0.01'],
  },
})
