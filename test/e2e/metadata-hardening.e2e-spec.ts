import { setTimeout as sleep } from 'node:timers/promises';
import type { LockEvent, MetadataEvent, RoomMessage } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { nextEvent, record, request, requestOk, untilRecorded } from '../support/client.js';
import { pollUntil } from '../support/fault.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import {
  acquire,
  anItem,
  errorOf,
  getMeta,
  okData,
  roomCh,
  setMeta,
  userCh,
} from './metadata-helpers.js';
import { join, joinSeenBy } from './presence-helpers.js';
import { TestClients } from './test-clients.js';

const RETENTION_MS = 1000;
/** The retention starts right after the leave is acknowledged; this covers the gap. */
const PAST_RETENTION_MS = RETENTION_MS + 700;
const LIMITS = {
  MAX_LOCKS_PER_CHANNEL: '3',
  MAX_SUBSCRIPTIONS_PER_SOCKET: '2',
  ROOM_CHANNEL_RETENTION_MS: String(RETENTION_MS),
};

let roomCounter = 0;
const newRoom = () => `hroom-${++roomCounter}`;

describe.each(['memory', 'redis'] as const)('metadata hardening (%s engine)', (engine) => {
  let redis: RedisServer | undefined;
  /** Two processes on Redis (the second one reads); the same process twice on memory. */
  let a: AppProcess;
  let b: AppProcess;
  const clients = new TestClients();

  beforeAll(async () => {
    const env = { ...NO_RATE_LIMITS, ...LIMITS };
    if (engine === 'memory') {
      a = b = await AppProcess.start({ env });
      return;
    }
    redis = await RedisServer.start();
    const options = { redisUrl: redis.url, prefix: uniquePrefix(), env };
    [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await redis?.stop();
  });

  it('treats ids spelling property names, error codes and script words like any other', async () => {
    const roomId = '__proto__';
    const constructorUser = await clients.open(a.url, 'constructor');
    const toStringUser = await clients.open(b.url, 'toString');
    // connIds are presence's to test; here the room, users, items and locks are hostile.
    await join(constructorUser, { roomId, connId: 'c-constructor' });
    await joinSeenBy(constructorUser, toStringUser, { roomId, connId: 'c-toString' });
    const channel = roomCh(roomId);
    const keys = ['__proto__', 'constructor', 'OK', 'LOCK_HELD', 'hasOwnProperty', 'i:major'];
    const heard = nextEvent<MetadataEvent>(toStringUser, 'metadata:event');
    const items = keys.map((key) => ({ key, value: { key } }));
    okData(await setMeta(constructorUser, { ...channel, items }));
    expect((await heard).items.map((i) => i.key)).toEqual(keys);
    const snapshot = await getMeta(toStringUser, channel);
    expect(snapshot.items).toEqual(
      [...keys].sort().map((key) => anItem(key, { key }, 1, 'constructor')),
    );

    const locks = record<LockEvent>(toStringUser, 'lock:event');
    const lockName = 'LOCK_HELD';
    okData(await acquire(constructorUser, { ...channel, lockName, ttlMs: 60_000 }));
    const held = errorOf(
      await acquire(toStringUser, { ...channel, lockName, ttlMs: 60_000 }),
      'LOCK_HELD',
    );
    expect(held.details).toEqual({ owner: 'constructor', expiresAt: expect.any(Number) });
    okData(
      await setMeta(constructorUser, {
        ...channel,
        items: [{ key: 'toString', value: 1 }],
        lockName,
      }),
    );
    okData(await request(constructorUser, 'lock:renew', { ...channel, lockName, ttlMs: 5000 }));
    okData(await request(constructorUser, 'lock:release', { ...channel, lockName }));
    await untilRecorded(toStringUser, 'lock:event', locks, (e) => e.length >= 2);
    expect(locks.map((e) => [e.channelName, e.lockName, e.type, e.owner])).toEqual([
      [roomId, lockName, 'acquired', 'constructor'],
      [roomId, lockName, 'released', 'constructor'],
    ]);

    const message = nextEvent<RoomMessage>(toStringUser, 'room:message');
    okData(await request(constructorUser, 'room:message', { roomId, type: 'OK', data: 1 }));
    expect((await message).from).toEqual({ userId: 'constructor', connId: 'c-constructor' });

    const valueOf = await clients.open(a.url, 'valueOf');
    okData(await request(toStringUser, 'metadata:subscribe', userCh('valueOf')));
    const userEvent = nextEvent<MetadataEvent>(toStringUser, 'metadata:event');
    okData(
      await setMeta(valueOf, { ...userCh('valueOf'), items: [{ key: '__proto__', value: 1 }] }),
    );
    expect((await userEvent).items).toEqual([anItem('__proto__', 1, 1, 'valueOf')]);
  });

  it('holds MAX_LOCKS_PER_CHANNEL live locks per channel: one more name is PAYLOAD_TOO_LARGE', async () => {
    const {
      channel,
      sockets: [alice, bob],
    } = await clients.roomWith(a.url, newRoom(), 'alice', 'bob');
    for (const lockName of ['l1', 'l2', 'l3']) {
      okData(
        await acquire(lockName === 'l2' ? bob : alice, { ...channel, lockName, ttlMs: 60_000 }),
      );
    }
    errorOf(await acquire(bob, { ...channel, lockName: 'l4', ttlMs: 60_000 }), 'PAYLOAD_TOO_LARGE');
    okData(await acquire(alice, { ...channel, lockName: 'l1', ttlMs: 60_000 }));
    okData(await request(bob, 'lock:release', { ...channel, lockName: 'l2' }));
    okData(await acquire(bob, { ...channel, lockName: 'l4', ttlMs: 60_000 }));
  });

  it('lets one socket subscribe to MAX_SUBSCRIPTIONS_PER_SOCKET user channels (RATE_LIMITED beyond)', async () => {
    const sub = await clients.open(a.url, 'subscriber');
    const acks = await Promise.all(
      ['u1', 'u2', 'u3', 'u4'].map((u) => request(sub, 'metadata:subscribe', userCh(u))),
    );
    expect(acks.filter((ack) => ack.ok)).toHaveLength(2);
    acks.filter((ack) => !ack.ok).forEach((ack) => errorOf(ack, 'RATE_LIMITED'));
    const subscribed = ['u1', 'u2', 'u3', 'u4'].filter((_, i) => acks[i].ok);
    okData(await request(sub, 'metadata:subscribe', userCh(subscribed[0])));
    errorOf(await request(sub, 'metadata:subscribe', userCh('u5')), 'RATE_LIMITED');
    okData(await request(sub, 'metadata:unsubscribe', userCh(subscribed[0])));
    okData(await request(sub, 'metadata:subscribe', userCh('u5')));
    const other = await clients.open(a.url, 'subscriber');
    okData(await request(other, 'metadata:subscribe', userCh('u6')));
  });

  it('leaves no lock with a user whose leave raced an acquire or a renew', async () => {
    const {
      roomId,
      channel,
      sockets: [alice],
    } = await clients.roomWith(a.url, newRoom(), 'alice');
    const events = record<LockEvent>(alice, 'lock:event');
    const bob = await clients.open(b.url, 'bob');
    const leave = () => request(bob, 'presence:leave', { roomId, connId: 'bob-c' });
    for (let round = 0; round < 8; round++) {
      await joinSeenBy(alice, bob, { roomId, connId: 'bob-c' });
      await Promise.all([
        acquire(bob, { ...channel, lockName: `a${round}`, ttlMs: 60_000 }),
        leave(),
      ]);
      await joinSeenBy(alice, bob, { roomId, connId: 'bob-c' });
      const lockName = `r${round}`;
      okData(await acquire(bob, { ...channel, lockName, ttlMs: 60_000 }));
      await Promise.all([
        request(bob, 'lock:renew', { ...channel, lockName, ttlMs: 60_000 }),
        leave(),
      ]);
    }
    // The leave path releases after its ack: wait until every grant was released.
    await pollUntil('no lock left', async () => {
      const { locks } = await requestOk<{ locks: unknown[] }>(alice, 'lock:list', channel);
      return locks.length === 0 ? true : undefined;
    });
    const balanced = (seen: LockEvent[]) =>
      seen.filter((e) => e.type === 'acquired').length ===
      seen.filter((e) => e.type === 'released').length;
    await untilRecorded(alice, 'lock:event', events, balanced);
    expect(events.filter((e) => e.lockName.startsWith('r'))).toHaveLength(16);
    for (const lockName of new Set(events.map((e) => e.lockName))) {
      expect(events.filter((e) => e.lockName === lockName).map((e) => [e.type, e.owner])).toEqual([
        ['acquired', 'bob'],
        ['released', 'bob'],
      ]);
    }
  });
});

/** Nothing announces a room channel's end (its room is empty): the tests wait it out. */
describe.each(['memory', 'redis'] as const)('room channel retention (%s engine)', (engine) => {
  let redis: RedisServer | undefined;
  let app: AppProcess;
  const clients = new TestClients();

  beforeAll(async () => {
    redis = engine === 'redis' ? await RedisServer.start() : undefined;
    app = await AppProcess.start({
      redisUrl: redis?.url,
      prefix: uniquePrefix(),
      env: { ...NO_RATE_LIMITS, ...LIMITS },
    });
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await app?.kill();
    await redis?.stop();
  });

  it('drops a room channel ROOM_CHANNEL_RETENTION_MS after its last member left', async () => {
    const roomId = newRoom();
    const {
      channel,
      sockets: [alice],
    } = await clients.roomWith(app.url, roomId, 'alice');
    okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
    okData(await acquire(alice, { ...channel, lockName: 'L', ttlMs: 60_000 }));
    await requestOk(alice, 'presence:leave', { roomId, connId: 'alice-c' });
    // Nothing announces the drop (the room is empty): wait it out.
    await sleep(PAST_RETENTION_MS);
    const bob = await clients.open(app.url, 'bob');
    await join(bob, { roomId, connId: 'bob-c' });
    expect(await getMeta(bob, channel)).toEqual({ ...channel, majorRevision: 0, items: [] });
    expect(await requestOk(bob, 'lock:list', channel)).toEqual({ locks: [] });
    const next = okData(await setMeta(bob, { ...channel, items: [{ key: 'b', value: 2 }] }));
    expect(next).toEqual({ majorRevision: 1, items: [anItem('b', 2, 1, 'bob')] });
    okData(await acquire(bob, { ...channel, lockName: 'L', ttlMs: 60_000 }));
  });

  it('keeps a room channel while a member is present, and when one comes back in time', async () => {
    const roomId = newRoom();
    const {
      channel,
      sockets: [alice, bob],
    } = await clients.roomWith(app.url, roomId, 'alice', 'bob');
    const written = okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
    await requestOk(alice, 'presence:leave', { roomId, connId: 'alice-c' });
    await sleep(PAST_RETENTION_MS);
    expect(await getMeta(bob, channel)).toEqual({ ...channel, ...written });
    await requestOk(bob, 'presence:leave', { roomId, connId: 'bob-c' });
    const back = await clients.open(app.url, 'bob');
    await join(back, { roomId, connId: 'bob-c' });
    await sleep(PAST_RETENTION_MS);
    expect(await getMeta(back, channel)).toEqual({ ...channel, ...written });
  });
});
