// The Runtime the per-user logic gets inside k6. Import it from a scenario file's top level:
// metrics and the token file can only be created in k6's init context.
import { check } from 'k6';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import { Counter, Trend } from 'k6/metrics';
import { clearTimeout, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import { handshakeToken } from './jwt.js';
import { COUNTERS, TRENDS } from './metrics.js';
import { intFrom } from './settings.js';

/** @typedef {import('./types.js').Runtime} Runtime */

const trends = new Map(TRENDS.map((name) => [name, new Trend(name, true)]));
const counters = new Map(COUNTERS.map((name) => [name, new Counter(name)]));

/** TOKENS_FILE: a JSON object `{ "<userId>": "<token>" }` signed elsewhere (absolute path). */
const tokenFile = __ENV.TOKENS_FILE
  ? /** @type {Record<string, string>} */ (JSON.parse(open(__ENV.TOKENS_FILE)))
  : undefined;

/** @type {import('./jwt.js').JwtCodec} */
const codec = {
  base64url: (text) => encoding.b64encode(text, 'rawurl'),
  hmacSha256Base64url: (secret, text) => crypto.hmac('sha256', secret, text, 'base64rawurl'),
};

/**
 * A token for `userId`: from TOKENS_FILE when given, else signed with AUTH_JWT_SECRET (test
 * deployments only), valid TOKEN_TTL_S seconds (default 2 h) with AUTH_JWT_ISSUER/AUDIENCE.
 * @param {string} userId
 */
function tokenFor(userId) {
  if (tokenFile) {
    const token = tokenFile[userId];
    if (!token) {
      throw new Error(`TOKENS_FILE has no token for ${userId}`);
    }
    return token;
  }
  const secret = __ENV.AUTH_JWT_SECRET;
  if (!secret) {
    throw new Error(
      'set AUTH_JWT_SECRET (test deployments) or TOKENS_FILE: see docs/load-testing.md',
    );
  }
  const options = {
    expiresInS: intFrom(__ENV, 'TOKEN_TTL_S', 7200),
    issuer: __ENV.AUTH_JWT_ISSUER,
    audience: __ENV.AUTH_JWT_AUDIENCE,
  };
  return handshakeToken(userId, secret, Date.now(), options, codec);
}

/** @type {Runtime} */
export const k6Runtime = {
  openSocket: (url) => new WebSocket(url),
  clock: { now: () => Date.now(), setTimeout, clearTimeout },
  record: {
    check: (name, passed) => check(passed, { [name]: (value) => value }),
    time: (metric, ms) => trends.get(metric)?.add(ms),
    count: (metric, n = 1) => counters.get(metric)?.add(n),
  },
  tokenFor,
};

/** The server under test: BASE_URL (http[s]://host:port, default http://localhost:3000). */
export const baseUrl = __ENV.BASE_URL || 'http://localhost:3000';

/** Keeps the ids of two runs against one deployment apart (PREFIX, default k6). */
export const prefix = __ENV.PREFIX || 'k6';
