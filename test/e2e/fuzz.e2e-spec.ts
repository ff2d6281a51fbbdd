import { randomBytes } from 'node:crypto';
import type { Ack } from '@avalon-realtime/client/protocol';
import { CLIENT_EVENTS } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAndWait,
  connect,
  nextEvent,
  record,
  request,
  requestOk,
  type TestSocket,
  refusedWith,
} from '../support/client.js';
import { ackCounter, getJson } from '../support/ops.js';
import { mulberry32, owning, sendFuzz } from '../support/fuzz.js';
import { RawSocket } from '../support/raw-socket.js';
import { changedKeys, keyspace } from '../support/redis-snapshot.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { SENTINEL_ENV, sentinelReport, type SentinelReport } from '../support/sentinel.js';
import { tokenFor, tokenWithClaims } from '../support/tokens.js';

/**
 * Version 2's hostile-input suite, on both engines (Redis: two processes on one Redis):
 * every request is answered exactly once, no process exits, a refused request writes
 * nothing, Object.prototype stays as it was and memory returns to its baseline.
 */

/** Ids that spell error codes, script words and JavaScript property names: all valid. */
const HOSTILE_IDS = [
  'FORBIDDEN',
  'NOT_JOINED',
  'ROOM_FULL',
  'STALE_EPOCH',
  'LOCK_HELD',
  'LOCK_NOT_HELD',
  'UNAVAILABLE',
  'OK',
  'MISMATCH',
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  'then',
];
const CLIENT_ERRORS = new Set([
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'FORBIDDEN',
  'NOT_JOINED',
  'NOT_FOUND',
  'LOCK_NOT_HELD',
  'STALE_EPOCH',
  'UNAUTHENTICATED',
]);
const ROOM_MAX_CONN_PER_USER = 4;
const MAX_LOCKS_PER_CHANNEL = 64;
const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
const MAX_ROOMS_PER_SOCKET = 10;
const CONNECT_TIMEOUT_MS = 500;

const SETTINGS = {
  ...NO_RATE_LIMITS,
  ...SENTINEL_ENV,
  ROOM_MAX_CONN_PER_USER: String(ROOM_MAX_CONN_PER_USER),
  MAX_LOCKS_PER_CHANNEL: String(MAX_LOCKS_PER_CHANNEL),
  MAX_SUBSCRIPTIONS_PER_SOCKET: String(MAX_SUBSCRIPTIONS_PER_SOCKET),
  MAX_ROOMS_PER_SOCKET: String(MAX_ROOMS_PER_SOCKET),
  SOCKET_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
};

const errorCode = (ack: Ack<unknown>): string | undefined => (ack.ok ? undefined : ack.error.code);

/** Counts outcomes by `ok` or error code. */
function tally(acks: Ack<unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const ack of acks) {
    const key = errorCode(ack) ?? 'ok';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe.each([
  ['memory engine', false],
  ['Redis engine, two processes', true],
])('hostile clients (%s)', (_name, onRedis) => {
  let redis: RedisServer | undefined;
  const prefix = uniquePrefix();
  let a: AppProcess;
  let b: AppProcess;
  let baseline: SentinelReport;
  const sockets: TestSocket[] = [];
  const raws: RawSocket[] = [];
  let requestsSent = 0;

  const openOn = async (app: AppProcess, userId: string): Promise<TestSocket> => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };
  const rawOn = async (app: AppProcess, query?: Record<string, string>): Promise<RawSocket> => {
    const raw = await RawSocket.open(app.url, { query });
    raws.push(raw);
    return raw;
  };
  /** Sends every payload at once and returns the acks in order (each request counted). */
  const burst = (socket: TestSocket, event: string, payloads: unknown[]) => {
    requestsSent += payloads.length;
    return Promise.all(payloads.map((payload) => request(socket, event, payload, 20_000)));
  };
  const snapshot = () =>
    redis ? keyspace(redis.url, prefix) : Promise.resolve(new Map<string, string>());

  beforeAll(async () => {
    if (onRedis) {
      redis = await RedisServer.start();
    }
    const options = { redisUrl: redis?.url, prefix, env: SETTINGS };
    // One process on the memory engine, which does not span processes.
    [a, b] = onRedis
      ? await Promise.all([AppProcess.start(options), AppProcess.start(options)])
      : await AppProcess.start(options).then((app) => [app, app]);
    // Warm every code path once before the memory baseline is taken.
    const warm = await openOn(a, 'warm-up');
    await requestOk(warm, 'presence:join', { roomId: 'warm', connId: 'warm-c' });
    await requestOk(warm, 'presence:leave', { roomId: 'warm', connId: 'warm-c' });
    await closeAndWait(...sockets.splice(0));
    baseline = await sentinelReport(a);
  });

  afterEach(async () => {
    await closeAndWait(...sockets.splice(0));
    await Promise.all(raws.splice(0).map((raw) => raw.close()));
  });

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await redis?.stop();
  });

  it('treats ids that spell codes, script words and property names like any other id', async () => {
    for (const id of HOSTILE_IDS) {
      const owner = await openOn(a, id);
      const watcher = await openOn(b, `watch-${id.replace(/_/g, '')}`);
      await requestOk(owner, 'presence:join', { roomId: id, connId: id, state: { seat: id } });
      const joined = nextEvent(owner, 'presence:event');
      await requestOk(watcher, 'presence:join', { roomId: id, connId: 'w' });
      await expect(joined).resolves.toMatchObject({ type: 'join', connId: 'w' });

      const listed = await requestOk<{ members: { connId: string; userId: string }[] }>(
        watcher,
        'presence:list',
        { roomId: id },
      );
      expect(listed.members.map((m) => `${m.userId}/${m.connId}`).sort()).toEqual(
        [`${id}/${id}`, `watch-${id.replace(/_/g, '')}/w`].sort(),
      );
      const user = await requestOk<{ rooms: { roomId: string }[] }>(watcher, 'presence:user', {
        userId: id,
      });
      expect(user.rooms.map((r) => r.roomId)).toEqual([id]);

      const channel = { channelType: 'room', channelName: id };
      const set = await requestOk<{ majorRevision: number }>(owner, 'metadata:set', {
        ...channel,
        items: [{ key: id, value: { name: id } }],
      });
      expect(set.majorRevision).toBe(1);
      const read = await requestOk<{ items: { key: string; value: unknown }[] }>(
        watcher,
        'metadata:get',
        channel,
      );
      expect(read.items).toEqual([expect.objectContaining({ key: id, value: { name: id } })]);
      await requestOk(owner, 'lock:acquire', { ...channel, lockName: id, ttlMs: 5000 });
      const held = await request(watcher, 'lock:acquire', {
        ...channel,
        lockName: id,
        ttlMs: 5000,
      });
      expect(errorCode(held)).toBe('LOCK_HELD');
      await expect(requestOk(watcher, 'lock:list', channel)).resolves.toEqual({
        locks: [expect.objectContaining({ lockName: id, owner: id })],
      });
      const message = nextEvent(watcher, 'room:message');
      await requestOk(owner, 'room:message', { roomId: id, type: id, data: { name: id } });
      await expect(message).resolves.toMatchObject({ type: id, from: { userId: id, connId: id } });

      const userChannel = { channelType: 'user', channelName: id };
      await requestOk(watcher, 'metadata:subscribe', userChannel);
      const userEvent = nextEvent(watcher, 'metadata:event');
      await requestOk(owner, 'metadata:set', { ...userChannel, items: [{ key: id, value: 1 }] });
      await expect(userEvent).resolves.toMatchObject({ channelName: id });

      await requestOk(owner, 'lock:release', { ...channel, lockName: id });
      const left = nextEvent(
        watcher,
        'presence:event',
        (e: { type: string }) => e.type === 'leave',
      );
      await requestOk(owner, 'presence:leave', { roomId: id, connId: id });
      await expect(left).resolves.toMatchObject({ connId: id, userId: id, reason: 'left' });
      requestsSent += 16;
      await closeAndWait(...sockets.splice(0));
    }
  }, 60_000);

  it('answers thousands of malformed and unauthorized requests once each, and writes nothing', async () => {
    const seed = 20_261_130;
    const rand = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
    const roomId = 'fuzz-room';
    const keeper = await openOn(a, 'fuzz-keeper');
    await requestOk(keeper, 'presence:join', { roomId, connId: 'keeper-1', state: { seat: 1 } });
    await requestOk(keeper, 'metadata:set', {
      channelType: 'room',
      channelName: roomId,
      items: [{ key: 'k', value: 1 }],
    });
    const fuzzer = await openOn(b, 'fuzzer');
    await requestOk(fuzzer, 'presence:join', { roomId: 'fuzzer-own', connId: 'fz-own' });
    const pushed = ['presence:event', 'metadata:event', 'lock:event', 'room:message'].flatMap(
      (event) => record<unknown>(keeper, event),
    );
    const acksSeen = ackCounter(fuzzer);
    const before = await snapshot();
    const listBefore = await requestOk(keeper, 'presence:list', { roomId });

    const names: unknown[] = [
      ...CLIENT_EVENTS,
      'error',
      'server:error',
      'presence:event',
      ...HOSTILE_IDS,
      'presence:JOIN',
      '',
      'x'.repeat(300),
      42,
    ];
    const id = () => pick([...HOSTILE_IDS, roomId, 'keeper-1', 'x'.repeat(65), '', 'a b', '💣']);
    const junk = (): unknown =>
      pick<() => unknown>([
        () => 1e308,
        () => Number.NaN,
        () => null,
        () => '\u0000\uD83D',
        () => randomBytes(8),
        () => ({ nested: { deeper: [randomBytes(4)] } }),
        () => [1, 'two', null],
        () => ({}),
      ])();
    const channel = () => ({
      channelType: pick(['room', 'user']),
      channelName: pick([roomId, 'fuzz-keeper', id()]),
    });
    // Each payload is refused for the event it is sent with: malformed, or well-formed
    // but not allowed for this user (not present, another user's connId or channel).
    const payloads: (() => unknown[])[] = [
      () => [],
      () => [junk()],
      () => [null],
      () => [[{ roomId }]],
      () => [randomBytes(1 + Math.floor(rand() * 64))],
      () => [owning('__proto__', { roomId, connId: 'fz-1' })],
      () => [owning('constructor', { roomId })],
      () => [{ roomId, connId: 'fz-1', state: owning('__proto__', { a: 1 }) }],
      () => [{ roomId, connId: 'fz-1', state: { buffer: { deep: randomBytes(3) } } }],
      () => [{ roomId: id(), connId: id(), epoch: junk(), state: junk(), unknown: junk() }],
      () => [{ roomId, connId: 'keeper-1', epoch: 1 }],
      () => [{ roomId, connId: 'keeper-1' }],
      () => [{ ...channel(), items: [{ key: id(), value: 1 }] }],
      () => [{ ...channel(), items: [{ key: 'k', value: { n: randomBytes(2) } }] }],
      () => [{ ...channel(), lockName: id(), ttlMs: 5000 }],
      () => [{ ...channel(), lockName: id() }],
      () => [{ ...channel(), keys: [id()] }],
      () => [{ roomId, data: { x: 1 } }],
      () => [{ roomId: id(), data: { x: 1 } }],
      () => [{ userId: pick(['x'.repeat(65), '', 7]) }],
      () => [{ roomId }, 'extra-argument'],
    ];

    const TOTAL = 3000;
    const replies = await sendFuzz(fuzzer, TOTAL, 200, () => [pick(names), pick(payloads)()], seed);
    requestsSent += TOTAL;

    const wrong = [...replies.values()].filter(({ acks }) => {
      const reply = acks[0] as Ack<unknown>;
      return acks.length !== 1 || reply.ok || !CLIENT_ERRORS.has(reply.error.code);
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    expect([...replies.keys()].filter((ackId) => acksSeen.get(ackId) !== 1)).toEqual([]);
    expect(changedKeys(before, await snapshot())).toEqual([]);
    await expect(requestOk(keeper, 'presence:list', { roomId })).resolves.toEqual(listBefore);
    const own = await requestOk<{ members: { status: string }[] }>(fuzzer, 'presence:list', {
      roomId: 'fuzzer-own',
    });
    expect(own.members.map((m) => m.status)).toEqual(['online']);
    expect(pushed).toEqual([]);
    expect(fuzzer.connected && keeper.connected).toBe(true);
  }, 60_000);

  it('answers raw frames once: 1e400, duplicate keys, 1.0 as an integer, binary attachments anywhere', async () => {
    const token = await tokenFor('raw-user');
    const raw = await rawOn(a);
    expect(await raw.connect({ token })).toMatch(/^40\{"sid"/);
    const join = (body: string, attachments: Buffer[] = []) =>
      raw.request(`["presence:join",${body}]`, attachments);
    const cases: [string, Buffer[], string | undefined][] = [
      ['{"roomId":"raw","connId":"c1","state":{"x":1e400}}', [], 'BAD_REQUEST'],
      ['{"roomId":"raw","connId":"c1","state":{"x":-1e400}}', [], 'BAD_REQUEST'],
      ['{"roomId":"raw","connId":"c1","state":{"a":{"b":[1e400]}}}', [], 'BAD_REQUEST'],
      ['{"roomId":"raw","roomId":"raw","connId":"c1","connId":"c1"}', [], undefined],
      ['{"roomId":"raw","connId":"c1","state":{"n":1.0}}', [], undefined],
      ['{"roomId":"raw","connId":{"_placeholder":true,"num":0}}', [randomBytes(4)], 'BAD_REQUEST'],
      [
        '{"roomId":"raw","connId":"c1","state":{"b":{"_placeholder":true,"num":0}}}',
        [randomBytes(4)],
        'BAD_REQUEST',
      ],
      [
        '{"roomId":"raw","connId":"c1","state":{"l":[[{"_placeholder":true,"num":1}]]}}',
        [randomBytes(1), randomBytes(2)],
        'BAD_REQUEST',
      ],
      ['{"_placeholder":true,"num":0}', [randomBytes(4)], 'BAD_REQUEST'],
      ['{"roomId":"raw","connId":"c1","state":{"_placeholder":true,"num":0}}', [], undefined],
    ];
    for (const [body, attachments, code] of cases) {
      const [ack] = (await join(body, attachments)) as Ack<unknown>[];
      expect({ body, code: errorCode(ack) }).toEqual({ body, code });
    }
    const heartbeat = await raw.request(
      '["presence:heartbeat",{"roomId":"raw","connId":"c1","epoch":1e400}]',
    );
    expect(errorCode(heartbeat[0] as Ack<unknown>)).toBe('BAD_REQUEST');
    const set = await raw.request(
      '["metadata:set",{"channelType":"user","channelName":"raw-user","items":[{"key":"k","value":{"v":1e400}}]}]',
    );
    expect(errorCode(set[0] as Ack<unknown>)).toBe('BAD_REQUEST');
    const message = await raw.request('["room:message",{"roomId":"raw","data":{"v":-1e400}}]');
    expect(errorCode(message[0] as Ack<unknown>)).toBe('BAD_REQUEST');
    requestsSent += cases.length + 3;
    expect([...raw.ackCounts().values()].every((count) => count === 1)).toBe(true);
    expect(raw.ackCounts().size).toBe(cases.length + 3);

    // A placeholder pointing past its attachments is no packet at all: Socket.IO's parser
    // drops that socket, and only that socket.
    const forger = await rawOn(a);
    await forger.connect({ token });
    forger.send('451-99["presence:list",{"_placeholder":true,"num":7}]');
    forger.send(randomBytes(4));
    await forger.closed;
    const [list] = (await raw.request('["presence:list",{"roomId":"raw"}]')) as Ack<{
      members: unknown[];
    }>[];
    expect(list.ok && list.data.members).toHaveLength(1);
    requestsSent += 2;
  });

  it('answers `error` BAD_REQUEST; reserved names and a second CONNECT close only that session, which goes away, never leaves', async () => {
    const watcher = await openOn(a, 'reserved-watcher');
    await requestOk(watcher, 'presence:join', { roomId: 'reserved', connId: 'rw' });
    const events = record<{ type: string; connId: string; member?: { status: string } }>(
      watcher,
      'presence:event',
    );
    // Socket.IO's parser treats these names as a protocol violation and closes the
    // session before any handler could run; so does a second CONNECT to one namespace.
    const violations = [
      ...[
        'disconnect',
        'disconnecting',
        'newListener',
        'removeListener',
        'connect',
        'connect_error',
      ].map((name) => `421[${JSON.stringify(name)},{"roomId":"reserved"}]`),
      '40{}',
    ];
    for (const [i, frame] of violations.entries()) {
      const raw = await rawOn(b);
      await raw.connect({ token: await tokenFor(`reserved-${i}`) });
      const joined = nextEvent(
        watcher,
        'presence:event',
        (e: { type: string }) => e.type !== 'leave',
      );
      const [ack] = (await raw.request(
        `["presence:join",{"roomId":"reserved","connId":"r${i}"}]`,
      )) as Ack<unknown>[];
      expect(ack.ok).toBe(true);
      await joined;
      const [error] = (await raw.request('["error",{"roomId":"reserved"}]')) as Ack<unknown>[];
      expect(errorCode(error)).toBe('BAD_REQUEST');
      const away = nextEvent<{ member?: { status: string } }>(
        watcher,
        'presence:event',
        (e) => e.member?.status === 'away',
      );
      raw.send(
        frame === '40{}' ? `40${JSON.stringify({ token: await tokenFor('again') })}` : frame,
      );
      await raw.closed;
      await away;
    }
    expect(events.map((e) => `${e.type}:${e.connId}:${e.member?.status}`)).toEqual(
      violations.flatMap((_, i) => [`join:r${i}:online`, `update:r${i}:away`]),
    );
    requestsSent += 2 * violations.length;
  });

  it('closes Engine.IO sessions that never send the Socket.IO CONNECT', async () => {
    const idle = await Promise.all(Array.from({ length: 20 }, () => rawOn(a)));
    await Promise.all(idle.map((raw) => raw.closed));
    expect(idle.every((raw) => !raw.isOpen)).toBe(true);
  });

  it('refuses tokens without exp, with exp as a string, a future nbf, 60 KB, or only in the query', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      await tokenWithClaims({ sub: 'tok-user' }),
      await tokenWithClaims({ sub: 'tok-user', exp: String(now + 3600) }),
      await tokenWithClaims({ sub: 'tok-user', exp: now + 3600, nbf: now + 600 }),
      // 60 KB, under the 64 KiB frame limit: refused for its size, not by the transport
      await tokenWithClaims({ sub: 'tok-user', exp: now + 3600, pad: 'x'.repeat(45_000) }),
    ];
    for (const token of tokens) {
      const refused = await refusedWith(a.url, 'tok-user', { token });
      expect(refused.data?.code).toBe('UNAUTHENTICATED');
    }
    const queryOnly = await rawOn(a, { token: await tokenFor('tok-user') });
    const reply = await queryOnly.connect({});
    expect(reply).toMatch(/^44.*UNAUTHENTICATED/);
    requestsSent += tokens.length + 1;
  });

  it('stops join floods at ROOM_MAX_CONN_PER_USER and MAX_ROOMS_PER_SOCKET', async () => {
    const flooder = await openOn(a, 'flooder');
    const watcher = await openOn(b, 'flood-watcher');
    await requestOk(watcher, 'presence:join', { roomId: 'flood', connId: 'fw' });
    const sameRoom = await burst(
      flooder,
      'presence:join',
      Array.from({ length: 300 }, (_, i) => ({ roomId: 'flood', connId: `f-${i}` })),
    );
    expect(tally(sameRoom)).toEqual({
      ok: ROOM_MAX_CONN_PER_USER,
      ROOM_FULL: 300 - ROOM_MAX_CONN_PER_USER,
    });
    const listed = await requestOk<{ members: { userId: string }[] }>(watcher, 'presence:list', {
      roomId: 'flood',
    });
    expect(listed.members.filter((m) => m.userId === 'flooder')).toHaveLength(
      ROOM_MAX_CONN_PER_USER,
    );

    const manyRooms = await burst(
      flooder,
      'presence:join',
      Array.from({ length: 200 }, (_, i) => ({ roomId: `flood-${i}`, connId: 'f' })),
    );
    expect(tally(manyRooms)).toEqual({
      ok: MAX_ROOMS_PER_SOCKET - 1,
      RATE_LIMITED: 200 - MAX_ROOMS_PER_SOCKET + 1,
    });
  });

  it('stops thousands of lock names at MAX_LOCKS_PER_CHANNEL and 10,000 subscribes at MAX_SUBSCRIPTIONS_PER_SOCKET', async () => {
    const locker = await openOn(a, 'locker');
    await requestOk(locker, 'presence:join', { roomId: 'locks', connId: 'l1' });
    const channel = { channelType: 'room', channelName: 'locks' };
    const acquired = await burst(
      locker,
      'lock:acquire',
      Array.from({ length: 2000 }, (_, i) => ({
        ...channel,
        lockName: `lock-${i}`,
        ttlMs: 60_000,
      })),
    );
    expect(tally(acquired)).toEqual({
      ok: MAX_LOCKS_PER_CHANNEL,
      PAYLOAD_TOO_LARGE: 2000 - MAX_LOCKS_PER_CHANNEL,
    });
    const listed = await requestOk<{ locks: unknown[] }>(locker, 'lock:list', channel);
    expect(listed.locks).toHaveLength(MAX_LOCKS_PER_CHANNEL);

    const subscriber = await openOn(b, 'subscriber');
    const subscribed = await burst(
      subscriber,
      'metadata:subscribe',
      Array.from({ length: 10_000 }, (_, i) => ({ channelType: 'user', channelName: `u-${i}` })),
    );
    expect(tally(subscribed)).toEqual({
      ok: MAX_SUBSCRIPTIONS_PER_SOCKET,
      RATE_LIMITED: 10_000 - MAX_SUBSCRIPTIONS_PER_SOCKET,
    });
  }, 60_000);

  it('never exited, kept Object.prototype as it was, and returns to its memory baseline', async () => {
    expect(requestsSent).toBeGreaterThanOrEqual(5000);
    for (const app of new Set([a, b])) {
      expect(app.child.exitCode).toBeNull();
      expect((await getJson(app.url, '/health/live')).status).toBe(200);
      expect(app.logs).not.toMatch(/unhandled rejection|uncaught/i);
    }
    const after = await sentinelReport(a);
    expect(after.shapes).toEqual(baseline.shapes);
    if (b !== a) {
      const other = await sentinelReport(b);
      expect(other.shapes).toEqual(baseline.shapes);
    }
    // Every socket of this suite is closed; what stays is presence (until its TTL), items
    // and locks: kilobytes. A per-socket or per-request leak would be megabytes.
    expect(after.heapUsed).toBeLessThan(baseline.heapUsed + 4 * 1024 * 1024);
  });
});

// Forged X-Forwarded-For: one process per engine, rate limits on, one trusted proxy.
describe.each([
  ['memory engine', false],
  ['Redis engine', true],
])('X-Forwarded-For behind one trusted proxy (%s)', (_name, onRedis) => {
  let redis: RedisServer | undefined;
  const prefix = uniquePrefix();
  let app: AppProcess;
  const LIMIT = 5;

  beforeAll(async () => {
    if (onRedis) {
      redis = await RedisServer.start();
    }
    app = await AppProcess.start({
      redisUrl: redis?.url,
      prefix,
      // these handshakes carry valid tokens: the ceiling of valid ones is the limit keyed here
      env: {
        ...NO_RATE_LIMITS,
        RATE_CONN_VALID_PER_MINUTE_PER_IP: String(LIMIT),
        TRUST_PROXY: '1',
      },
    });
  });

  afterAll(async () => {
    await app?.kill();
    await redis?.stop();
  });

  const handshake = async (forwarded: string): Promise<string> => {
    try {
      const socket = await connect(app.url, 'xff-user', {
        extraHeaders: { 'X-Forwarded-For': forwarded },
      });
      await closeAndWait(socket);
      return 'ok';
    } catch (err) {
      return (err as { data?: { code: string } }).data?.code ?? (err as Error).message;
    }
  };

  it('keys the limit on the address the proxy saw, whatever the client forged to its left', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 3 * LIMIT; i++) {
      const forged = Array.from({ length: 1 + (i % 4) }, () => randomBytes(6).toString('base64'));
      outcomes.push(await handshake(`${forged.join(', ')}, 198.51.100.7`));
    }
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(LIMIT);
    expect(outcomes.filter((o) => o === 'RATE_LIMITED')).toHaveLength(2 * LIMIT);

    const mapped = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      mapped.push(await handshake(i % 2 ? '198.51.100.8' : '::ffff:198.51.100.8'));
    }
    expect(mapped).toEqual([...Array<string>(LIMIT).fill('ok'), 'RATE_LIMITED']);
  });

  it('survives a 16 KB header and random garbage, and makes no key of a forged value', async () => {
    const garbage = `${randomBytes(8).toString('hex')}-garbage`;
    await handshake(`${'1.2.3.4, '.repeat(1800)}198.51.100.9`);
    await handshake(garbage);
    await handshake(`${garbage}, ${garbage}`);
    expect((await getJson(app.url, '/health/live')).status).toBe(200);
    if (redis) {
      const keys = [...(await keyspace(redis.url, prefix, { limiters: true })).keys()];
      expect(keys.filter((key) => key.includes('garbage') || key.includes('1.2.3.4'))).toEqual([]);
    }
    const socket = await connect(app.url, 'after-garbage').catch((err: Error) => err);
    expect(socket).not.toBeInstanceOf(Error);
    await closeAndWait(socket as TestSocket);
  });
});
