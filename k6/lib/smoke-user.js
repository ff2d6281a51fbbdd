import { METRIC } from './metrics.js';
import { ask, connectUser, receiveMessages, sendMessage } from './player.js';
import { ConnectError, SocketIoClient } from './socketio.js';
import { Waiter } from './waiter.js';

/**
 * @typedef {import('./types.js').Runtime} Runtime
 * @typedef {import('./socketio.js').SocketIoClient} Client
 * @typedef {{ url: string, prefix: string, roomId: string, waitMs: number }} SmokeSettings
 */

/**
 * Every kind of request once, by two users at one table, each answer checked: a refused
 * token, connect, join, heartbeat with a state change, list, metadata write and read,
 * lock acquire and release, a message the other player receives, token refresh, leave.
 * @param {Runtime} rt
 * @param {SmokeSettings} s
 */
export async function smokeUser(rt, s) {
  await refusedToken(rt, s.url);
  const alice = await connectUser(rt, s.url, `${s.prefix}-alice`);
  const bob = await connectUser(rt, s.url, `${s.prefix}-bob`);
  if (alice && bob) {
    await playTogether(rt, s, alice, bob);
  }
  await Promise.all([alice?.close(), bob?.close()]);
}

/** A token that is not a JWT: refused with UNAUTHENTICATED. @param {Runtime} rt @param {string} url */
async function refusedToken(rt, url) {
  const client = new SocketIoClient(rt.openSocket(url), rt.clock);
  const refusal = await client
    .connect({ token: 'not-a-token' })
    .catch((/** @type {unknown} */ e) => e);
  const code = refusal instanceof ConnectError ? refusal.code : String(refusal);
  rt.record.check('a bad token is refused with UNAUTHENTICATED', code === 'UNAUTHENTICATED');
  await client.close();
}

/**
 * @param {Runtime} rt
 * @param {SmokeSettings} s
 * @param {Client} alice
 * @param {Client} bob
 */
async function playTogether(rt, s, alice, bob) {
  const { roomId } = s;
  const a = await ask(rt, alice, 'presence:join', { roomId, state: { seat: 1 } }, METRIC.join);
  const b = await ask(rt, bob, 'presence:join', { roomId, state: { seat: 2 } }, METRIC.join);
  if (!a || !b) {
    return;
  }
  rt.record.check('the second join lists both players', b.members.length === 2);
  const beat = { roomId, connId: a.connId, epoch: a.epoch, statePatch: { ready: true } };
  const hb = await ask(rt, alice, 'presence:heartbeat', beat, METRIC.heartbeat);
  rt.record.check('a state patch is reported as a change', hb?.changed === true);
  const list = await ask(rt, bob, 'presence:list', { roomId });
  rt.record.check('presence:list shows two members', list?.members.length === 2);
  await channelAndLock(rt, s, alice, bob);
  await messageBetween(rt, s, alice, bob);
  const refresh = await ask(rt, alice, 'auth:refresh', { token: rt.tokenFor(`${s.prefix}-alice`) });
  rt.record.check('auth:refresh returns the new exp', typeof refresh?.exp === 'number');
  await ask(rt, alice, 'presence:leave', { roomId, connId: a.connId });
  await ask(rt, bob, 'presence:leave', { roomId, connId: b.connId });
}

/**
 * Alice writes the room channel under a lock; Bob reads what she wrote.
 * @param {Runtime} rt @param {SmokeSettings} s @param {Client} alice @param {Client} bob
 */
async function channelAndLock(rt, s, alice, bob) {
  const channel = { channelType: 'room', channelName: s.roomId };
  const lock = await ask(rt, alice, 'lock:acquire', { ...channel, lockName: 'turn', ttlMs: 5000 });
  rt.record.check('lock:acquire returns a fencing token', typeof lock?.token === 'number');
  const items = [{ key: 'phase', value: 'vote' }];
  await ask(rt, alice, 'metadata:set', { ...channel, items, lockName: 'turn' });
  const read = await ask(rt, bob, 'metadata:get', channel);
  rt.record.check('metadata:get returns the write', read?.items[0]?.value === 'vote');
  await ask(rt, alice, 'lock:release', { ...channel, lockName: 'turn' });
}

/**
 * @param {Runtime} rt @param {SmokeSettings} s @param {Client} alice @param {Client} bob
 */
async function messageBetween(rt, s, alice, bob) {
  const waiter = new Waiter(rt.clock);
  let received = 0;
  receiveMessages(rt, bob, () => {
    received++;
    waiter.poke();
  });
  await sendMessage(rt, alice, s.roomId, 1);
  const arrived = await waiter.until(() => received === 1, s.waitMs);
  rt.record.check('the other player receives the message', arrived);
}
