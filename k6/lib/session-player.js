import { METRIC } from './metrics.js';
import { ask, connectUser, every, receiveMessages, sendMessage } from './player.js';
import { Waiter } from './waiter.js';

/**
 * @typedef {import('./types.js').Runtime} Runtime
 * @typedef {{
 *   url: string,
 *   userId: string,
 *   connId: string,
 *   roomId: string,
 *   players: number,
 *   messages: number,
 *   messageMs: number,
 *   waitMs: number,
 * }} SessionSettings
 */

/**
 * One of `players` players of the source documents' session check (12 players, 60 s, 144
 * messages, none lost): join one room, wait until everyone is there, send `messages`
 * messages one every `messageMs`, wait (at most `waitMs`) until every other player's
 * messages arrived, leave. Checks: everyone present, every message acked, every message of
 * the others received.
 * @param {Runtime} rt
 * @param {SessionSettings} s
 */
export async function sessionPlayer(rt, s) {
  const client = await connectUser(rt, s.url, s.userId);
  if (!client) {
    return;
  }
  const waiter = new Waiter(rt.clock);
  const present = new Set();
  let received = 0;
  client.on('presence:event', (event) => {
    present.add(event.userId);
    waiter.poke();
  });
  receiveMessages(rt, client, () => {
    received++;
    waiter.poke();
  });
  const { roomId, connId } = s;
  const joined = await ask(rt, client, 'presence:join', { roomId, connId }, METRIC.join);
  if (joined) {
    joined.members.forEach((/** @type {{ userId: string }} */ m) => present.add(m.userId));
    const everyone = await waiter.until(() => present.size >= s.players, s.waitMs);
    rt.record.check('every player present', everyone);
    let acked = 0;
    const untilMs = Number.POSITIVE_INFINITY;
    await every(rt, { everyMs: s.messageMs, untilMs, times: s.messages }, async (i) => {
      acked += (await sendMessage(rt, client, roomId, i)) ? 1 : 0;
    });
    rt.record.check('every message acked', acked === s.messages);
    const expected = (s.players - 1) * s.messages;
    const all = await waiter.until(() => received >= expected, s.waitMs);
    rt.record.check("every other player's message received", all && received === expected);
    await ask(rt, client, 'presence:leave', { roomId, connId });
  }
  await client.close();
}
