import { type Env, type Options, scenarioFor } from './lib/profiles.ts'

/** A comment pushed to its post's author over the live socket; `notification_push_ms` is 201 → frame. */
export const notificationsOptions = (env: Env): Options => ({
  scenarios: scenarioFor(env, { rate: 5 }),
  setupTimeout: '2m',
  thresholds: {
    notification_push_ms: ['p(95)<250', 'p(99)<500'],
    notification_lost: ['count==0'],
    'http_req_duration{name:GET /notifications}': ['p(95)<50', 'p(99)<100'],
    'http_req_duration{name:POST /notifications/read}': ['p(95)<50', 'p(99)<100'],
    http_req_failed: ['rate<0.01'],
  },
})
