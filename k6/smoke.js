// Smoke: every request kind once, by two users at one table, a few times over. Run it first
// against a new deployment: any failed check means the rest is not worth running.
//   k6 run -e BASE_URL=http://localhost:3000 -e AUTH_JWT_SECRET=... k6/smoke.js
import { baseUrl, k6Runtime, prefix } from './lib/k6-runtime.js';
import { METRIC } from './lib/metrics.js';
import { intFrom, socketUrl } from './lib/settings.js';
import { smokeUser } from './lib/smoke-user.js';

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    smoke: { executor: 'per-vu-iterations', vus: 1, iterations: intFrom(__ENV, 'ITERATIONS', 3) },
  },
  thresholds: {
    checks: ['rate==1'],
    [METRIC.requestFailures]: ['count==0'],
    [METRIC.heartbeat]: ['p(95)<500'],
    [METRIC.messageAck]: ['p(95)<500'],
  },
};

export default async function () {
  const table = `${prefix}-smoke-vu${__VU}-i${__ITER}`;
  await smokeUser(k6Runtime, {
    url: socketUrl(baseUrl),
    prefix: table,
    roomId: table,
    waitMs: 5000,
  });
}
