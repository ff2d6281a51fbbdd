import { setTimeout as sleep } from 'node:timers/promises';
import type { LockEvent, PresenceEvent } from '@avalon-realtime/client/protocol';
import { AppProcess, FAST_PRESENCE, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAll,
  connect,
  dropTransport,
  nextEvent,
  record,
  request,
  requestOk,
  untilRecorded,
  type TestSocket,
} from '../support/client.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { acquire, anItem, errorOf, getMeta, okData, roomCh, setMeta } from './metadata-helpers.js';
import { join, keepAlive } from './presence-helpers.js';

const TTL_MS = Number(FAST_PRESENCE.PRESENCE_TTL_MS);

let roomCounter = 0;
const newRoom = () => `lcroom-${++roomCounter}`;

/** Two processes on one Redis and one prefix of their own. */
async function startPair(
  redis: RedisServer,
  env: Record<string, string>,
): Promise<[AppProcess, AppProcess]> {
  const options = {
    redisUrl: redis.url,
    prefix: uniquePrefix(),
    env: { ...NO_RATE_LIMITS, ...env },
  };
  const [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  return [a, b];
}

describe('lease locks across processes (Redis engine)', () => {
  let redis: RedisServer;
  /** FAST_PRESENCE: a lost owner times out within seconds. */
  let a: AppProcess;
  let b: AppProcess;
  /** A reaper that never runs during a test: a lapsed lock stays until someone claims it. */
  let slowA: AppProcess;
  let slowB: AppProcess;
  const sockets: TestSocket[] = [];
  const stoppers: (() => void)[] = [];

  const member = async (app: AppProcess, userId: string, roomId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    const session = await join(socket, { roomId, connId: `${userId}-c` });
    return { socket, session };
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    [[a, b], [slowA, slowB]] = await Promise.all([
      startPair(redis, FAST_PRESENCE),
      startPair(redis, { REAPER_INTERVAL_MS: '600000' }),
    ]);
  });

  afterEach(() => {
    stoppers.splice(0).forEach((stop) => stop());
    closeAll(...sockets.splice(0));
  });

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill(), slowA?.kill(), slowB?.kill()]);
    await redis?.stop();
  });

  it('releases the lock of an owner on B who times out, seen on A', async () => {
    const roomId = newRoom();
    const channel = roomCh(roomId);
    const alice = await member(a, 'alice', roomId);
    stoppers.push(keepAlive(alice.socket, alice.session));
    const bob = await member(b, 'bob', roomId);
    const seen = record<LockEvent>(alice.socket, 'lock:event');
    okData(await acquire(bob.socket, { ...channel, lockName: 'L', ttlMs: 60_000 }));
    const left = nextEvent<PresenceEvent>(
      alice.socket,
      'presence:event',
      (e) => e.type === 'leave' && e.userId === 'bob',
      TTL_MS + 5000,
    );
    await dropTransport(bob.socket);
    expect((await left).reason).toBe('timeout');
    await untilRecorded(alice.socket, 'lock:event', seen, (e) => e.length >= 2);
    expect(seen.map((e) => [e.type, e.owner])).toEqual([
      ['acquired', 'bob'],
      ['released', 'bob'],
    ]);
    expect(await requestOk(alice.socket, 'lock:list', channel)).toEqual({ locks: [] });
  }, 15_000);

  it('announces expired before acquired on both processes when B claims a lapsed lock of A', async () => {
    const roomId = newRoom();
    const channel = roomCh(roomId);
    const { socket: alice } = await member(slowA, 'alice', roomId);
    const { socket: bob } = await member(slowB, 'bob', roomId);
    const seenA = record<LockEvent>(alice, 'lock:event');
    const seenB = record<LockEvent>(bob, 'lock:event');
    const grant = okData(await acquire(alice, { ...channel, lockName: 'L', ttlMs: 1000 }));
    const written = okData(
      await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }], lockName: 'L' }),
    );
    // Nothing announces the lapse on these processes (their reapers are idle): wait it out.
    await sleep(grant.expiresAt - Date.now() + 50);

    errorOf(
      await setMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }], lockName: 'L' }),
      'LOCK_NOT_HELD',
    );
    errorOf(
      await request(alice, 'lock:renew', { ...channel, lockName: 'L', ttlMs: 5000 }),
      'LOCK_NOT_HELD',
    );
    errorOf(await request(alice, 'lock:release', { ...channel, lockName: 'L' }), 'LOCK_NOT_HELD');
    expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });
    expect(await getMeta(bob, channel)).toEqual({
      ...channel,
      majorRevision: 1,
      items: [anItem('a', 1, 1, 'alice')],
    });
    expect(written.majorRevision).toBe(1);

    const next = okData(await acquire(bob, { ...channel, lockName: 'L', ttlMs: 5000 }));
    expect(next.token).toBeGreaterThan(grant.token);
    const again = okData(await acquire(bob, { ...channel, lockName: 'L', ttlMs: 9000 }));
    expect(again.token).toBe(next.token);
    expect(again.expiresAt).toBeGreaterThan(next.expiresAt);
    await untilRecorded(alice, 'lock:event', seenA, (e) => e.length >= 3);
    await untilRecorded(bob, 'lock:event', seenB, (e) => e.length >= 3);
    // The release proves no further event (a second `acquired` for the extension) came before it.
    okData(await request(bob, 'lock:release', { ...channel, lockName: 'L' }));
    for (const [socket, seen] of [
      [alice, seenA],
      [bob, seenB],
    ] as const) {
      await untilRecorded(socket, 'lock:event', seen, (e) => e.length >= 4);
      expect(seen.map((e) => [e.type, e.owner])).toEqual([
        ['acquired', 'alice'],
        ['expired', 'alice'],
        ['acquired', 'bob'],
        ['released', 'bob'],
      ]);
    }
  }, 15_000);
});
