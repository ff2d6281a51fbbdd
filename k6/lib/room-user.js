import { METRIC } from './metrics.js';
import { ask, connectUser, every, receiveMessages, sendMessage } from './player.js';

/**
 * @typedef {import('./types.js').Runtime} Runtime
 * @typedef {{
 *   url: string,
 *   userId: string,
 *   connId: string,
 *   roomId: string,
 *   sessionMs: number,
 *   heartbeatMs: number,
 *   messageMs: number,
 * }} RoomUserSettings
 */

/**
 * One player's session at a table, the unit of load, soak and spike: connect, join the room,
 * heartbeat and chat at a steady pace for `sessionMs`, leave, disconnect. Other members'
 * messages are counted and timed while it plays.
 * @param {Runtime} rt
 * @param {RoomUserSettings} s
 */
export async function roomUser(rt, s) {
  const client = await connectUser(rt, s.url, s.userId);
  if (!client) {
    return;
  }
  receiveMessages(rt, client);
  const { roomId, connId } = s;
  const joined = await ask(rt, client, 'presence:join', { roomId, connId }, METRIC.join);
  if (joined) {
    const untilMs = rt.clock.now() + s.sessionMs;
    await Promise.all([
      every(rt, { everyMs: s.heartbeatMs, untilMs }, (i) =>
        heartbeat(rt, client, s, joined.epoch, i),
      ),
      every(rt, { everyMs: s.messageMs, untilMs }, (i) => sendMessage(rt, client, roomId, i)),
    ]);
    await ask(rt, client, 'presence:leave', { roomId, connId });
  }
  await client.close();
}

/**
 * A heartbeat; every third one also changes the player's state, as a game would (each such
 * change reaches the table as one presence `update`).
 * @param {Runtime} rt
 * @param {import('./socketio.js').SocketIoClient} client
 * @param {RoomUserSettings} s
 * @param {number} epoch
 * @param {number} i
 */
function heartbeat(rt, client, s, epoch, i) {
  const payload = { roomId: s.roomId, connId: s.connId, epoch };
  const patch = i % 3 === 0 ? { statePatch: { round: i / 3 } } : {};
  return ask(rt, client, 'presence:heartbeat', { ...payload, ...patch }, METRIC.heartbeat);
}
