// Knobs read from k6's __ENV (or any string map, in the Node tests).

/**
 * A positive integer from `env[name]`, else `fallback`; anything else stops the run early.
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 * @param {number} fallback
 */
export function intFrom(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

/**
 * The Socket.IO websocket endpoint of a server (or nginx) at `baseUrl` (http[s]://host:port).
 * @param {string} baseUrl
 */
export function socketUrl(baseUrl) {
  const origin = baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '');
  return `${origin}/socket.io/?EIO=4&transport=websocket`;
}

/**
 * Ids of one simulated user: `prefix` keeps two runs against one deployment apart, `n` is
 * the k6 VU number (1-based); users fill rooms of `roomSize` in order.
 * @param {string} prefix
 * @param {number} n
 * @param {number} roomSize
 */
export function userIds(prefix, n, roomSize) {
  const userId = `${prefix}-u${n}`;
  return { userId, connId: `${userId}-c`, roomId: `${prefix}-room${Math.ceil(n / roomSize)}` };
}
