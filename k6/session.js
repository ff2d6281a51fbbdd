// The session check of the source documents (003: "12 users, 60 s, 144 messages, 0
// failures, average latency 45 ms"): PLAYERS players (default 12) at one table, each sends
// MESSAGES messages (default 12), one every MESSAGE_MS (default 5000): 144 messages in 60 s.
// Passes only if every message is acked and reaches every other player, with average
// ack and delivery latency under 100 ms (acceptance criterion 8 of 002).
//   k6 run -e BASE_URL=http://localhost:3000 -e AUTH_JWT_SECRET=... k6/session.js
import { baseUrl, k6Runtime, prefix } from './lib/k6-runtime.js';
import { METRIC } from './lib/metrics.js';
import { sessionPlayer } from './lib/session-player.js';
import { intFrom, socketUrl } from './lib/settings.js';

const players = intFrom(__ENV, 'PLAYERS', 12);
const messages = intFrom(__ENV, 'MESSAGES', 12);

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    session: { executor: 'per-vu-iterations', vus: players, iterations: 1, maxDuration: '3m' },
  },
  thresholds: {
    checks: ['rate==1'],
    [METRIC.requestFailures]: ['count==0'],
    [METRIC.messagesAcked]: [`count==${players * messages}`],
    [METRIC.messagesReceived]: [`count==${players * (players - 1) * messages}`],
    [METRIC.messageAck]: ['avg<100'],
    [METRIC.delivery]: ['avg<100'],
  },
};

export default async function () {
  const userId = `${prefix}-session-p${__VU}`;
  await sessionPlayer(k6Runtime, {
    url: socketUrl(baseUrl),
    userId,
    connId: `${userId}-c`,
    roomId: `${prefix}-session`,
    players,
    messages,
    messageMs: intFrom(__ENV, 'MESSAGE_MS', 5000),
    waitMs: 30_000,
  });
}
