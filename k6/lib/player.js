import { METRIC } from './metrics.js';
import { SocketIoClient } from './socketio.js';
import { sleep } from './waiter.js';

/**
 * @typedef {import('./types.js').Runtime} Runtime
 * @typedef {import('./socketio.js').SocketIoClient} Client
 */

/**
 * Opens a socket and completes the CONNECT as `userId`; records the time and a check.
 * Resolves undefined (socket closed) when the server refuses or does not answer.
 * @param {Runtime} rt
 * @param {string} url from settings.socketUrl
 * @param {string} userId
 * @returns {Promise<Client | undefined>}
 */
export async function connectUser(rt, url, userId) {
  const started = rt.clock.now();
  const client = new SocketIoClient(rt.openSocket(url), rt.clock);
  try {
    await client.connect({ token: rt.tokenFor(userId) });
    rt.record.time(METRIC.connect, rt.clock.now() - started);
    rt.record.check('socket.io connected', true);
    return client;
  } catch {
    rt.record.check('socket.io connected', false);
    await client.close();
    return undefined;
  }
}

/**
 * Sends a request and records a check `<event> ok`, its round trip in `metric` (when given)
 * and failures. Resolves with the ack's data, or undefined when it failed.
 * @param {Runtime} rt
 * @param {Client} client
 * @param {string} event
 * @param {object} payload
 * @param {string} [metric]
 * @returns {Promise<any>}
 */
export async function ask(rt, client, event, payload, metric) {
  try {
    const { ack, ms } = await client.request(event, payload);
    if (metric) {
      rt.record.time(metric, ms);
    }
    return settled(rt, event, ack.ok, ack.ok ? ack.data : undefined);
  } catch {
    return settled(rt, event, false, undefined);
  }
}

/**
 * @param {Runtime} rt @param {string} event @param {boolean} ok @param {any} data
 */
function settled(rt, event, ok, data) {
  rt.record.check(`${event} ok`, ok);
  if (!ok) {
    rt.record.count(METRIC.requestFailures);
  }
  return data;
}

/**
 * Sends one `room:message` stamped with its send time (read by the receivers).
 * @param {Runtime} rt
 * @param {Client} client
 * @param {string} roomId
 * @param {number} n the sender's message number
 */
export async function sendMessage(rt, client, roomId, n) {
  const data = { n, sentAt: rt.clock.now() };
  const sent = await ask(
    rt,
    client,
    'room:message',
    { roomId, type: 'load', data },
    METRIC.messageAck,
  );
  if (sent) {
    rt.record.count(METRIC.messagesAcked);
  }
  return sent !== undefined;
}

/**
 * Counts the messages of other members and records their delivery time; `onEach` hears
 * each one.
 * @param {Runtime} rt
 * @param {Client} client
 * @param {(message: { from: { userId: string } }) => void} [onEach]
 */
export function receiveMessages(rt, client, onEach) {
  client.on('room:message', (message) => {
    rt.record.count(METRIC.messagesReceived);
    if (typeof message?.data?.sentAt === 'number') {
      rt.record.time(METRIC.delivery, rt.clock.now() - message.data.sentAt);
    }
    onEach?.(message);
  });
}

/**
 * Runs `step(i)` every `everyMs` (i = 1, 2, …) while the next run starts before `untilMs`
 * and no more than `times` times.
 * @param {Runtime} rt
 * @param {{ everyMs: number, untilMs: number, times?: number }} when
 * @param {(i: number) => Promise<unknown>} step
 */
export async function every(rt, when, step) {
  const times = when.times ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= times && rt.clock.now() + when.everyMs <= when.untilMs; i++) {
    await sleep(rt.clock, when.everyMs);
    await step(i);
  }
}
