// Soak: VUS players (default 200) for DURATION (default 1h), in SESSION_S-second sessions
// (default 300) at the advised heartbeat interval: finds what only time shows (memory growth,
// a reaper falling behind, Redis keys that never expire, latency creeping up).
//   k6 run -e BASE_URL=http://localhost:3000 -e AUTH_JWT_SECRET=... k6/soak.js
import { baseUrl, k6Runtime, prefix } from './lib/k6-runtime.js';
import { METRIC } from './lib/metrics.js';
import { roomUser } from './lib/room-user.js';
import { intFrom, socketUrl, userIds } from './lib/settings.js';

const sessionS = intFrom(__ENV, 'SESSION_S', 300);

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    soak: {
      executor: 'constant-vus',
      vus: intFrom(__ENV, 'VUS', 200),
      duration: __ENV.DURATION || '1h',
      gracefulStop: `${sessionS + 10}s`,
    },
  },
  thresholds: {
    [METRIC.heartbeat]: ['p(95)<100', 'p(99)<250'],
    [METRIC.messageAck]: ['p(95)<100', 'p(99)<250'],
    checks: ['rate>0.99'],
  },
};

export default async function () {
  await roomUser(k6Runtime, {
    url: socketUrl(baseUrl),
    ...userIds(`${prefix}-soak`, __VU, intFrom(__ENV, 'ROOM_SIZE', 10)),
    sessionMs: sessionS * 1000,
    heartbeatMs: intFrom(__ENV, 'HEARTBEAT_MS', 10_000),
    messageMs: intFrom(__ENV, 'MESSAGE_MS', 15_000),
  });
}
