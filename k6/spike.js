// Spike: BASE_VUS players (default 20), then PEAK_VUS (default 600) arrive within 10 s (a
// reconnect wave after a restart, an event going live), stay 1 min, leave within 10 s, and
// the base load goes on: connects must stay fast and the base players' heartbeats answered.
//   k6 run -e BASE_URL=http://localhost:3000 -e AUTH_JWT_SECRET=... k6/spike.js
import { baseUrl, k6Runtime, prefix } from './lib/k6-runtime.js';
import { METRIC } from './lib/metrics.js';
import { roomUser } from './lib/room-user.js';
import { intFrom, socketUrl, userIds } from './lib/settings.js';

const base = intFrom(__ENV, 'BASE_VUS', 20);
const peak = intFrom(__ENV, 'PEAK_VUS', 600);
const sessionS = intFrom(__ENV, 'SESSION_S', 20);

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-vus',
      startVUs: base,
      stages: [
        { duration: '30s', target: base },
        { duration: '10s', target: peak },
        { duration: '1m', target: peak },
        { duration: '10s', target: base },
        { duration: '1m', target: base },
        { duration: '10s', target: 0 },
      ],
      gracefulRampDown: `${sessionS + 10}s`,
    },
  },
  thresholds: {
    [METRIC.connect]: ['p(95)<1000'],
    [METRIC.heartbeat]: ['p(95)<250'],
    [METRIC.messageAck]: ['p(95)<250'],
    checks: ['rate>0.99'],
  },
};

export default async function () {
  await roomUser(k6Runtime, {
    url: socketUrl(baseUrl),
    ...userIds(`${prefix}-spike`, __VU, intFrom(__ENV, 'ROOM_SIZE', 10)),
    sessionMs: sessionS * 1000,
    heartbeatMs: intFrom(__ENV, 'HEARTBEAT_MS', 5000),
    messageMs: intFrom(__ENV, 'MESSAGE_MS', 5000),
  });
}
