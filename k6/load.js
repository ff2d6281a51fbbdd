// Load: ramps to TARGET_VUS (default 300) players, tables of ROOM_SIZE, each player in a
// SESSION_S-second session with a heartbeat every HEARTBEAT_MS and a message every
// MESSAGE_MS; sessions repeat until the ramp ends. The acceptance criteria of issue 9:
// heartbeat and message ack p95 < 100 ms, failed checks < 1 %.
//   k6 run -e BASE_URL=http://localhost:3000 -e AUTH_JWT_SECRET=... k6/load.js
import { baseUrl, k6Runtime, prefix } from './lib/k6-runtime.js';
import { METRIC } from './lib/metrics.js';
import { roomUser } from './lib/room-user.js';
import { intFrom, socketUrl, userIds } from './lib/settings.js';

const target = intFrom(__ENV, 'TARGET_VUS', 300);
const sessionS = intFrom(__ENV, 'SESSION_S', 60);

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    load: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '30s', target: Math.ceil(target / 3) },
        { duration: '1m', target },
        { duration: __ENV.HOLD || '3m', target },
        { duration: '30s', target: 0 },
      ],
      // a player ramped down finishes its session (and leaves) instead of vanishing
      gracefulRampDown: `${sessionS + 10}s`,
    },
  },
  thresholds: {
    [METRIC.heartbeat]: ['p(95)<100'],
    [METRIC.messageAck]: ['p(95)<100'],
    checks: ['rate>0.99'],
    [METRIC.connect]: ['p(95)<1000'],
  },
};

export default async function () {
  await roomUser(k6Runtime, {
    url: socketUrl(baseUrl),
    ...userIds(`${prefix}-load`, __VU, intFrom(__ENV, 'ROOM_SIZE', 10)),
    sessionMs: sessionS * 1000,
    heartbeatMs: intFrom(__ENV, 'HEARTBEAT_MS', 5000),
    messageMs: intFrom(__ENV, 'MESSAGE_MS', 5000),
  });
}
