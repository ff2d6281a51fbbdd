import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import type { ListResult, PresenceEvent } from '@avalon-realtime/client/protocol';
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
} from '../support/client.js';
import { ackCounter, disconnection, getJson } from '../support/ops.js';
import { mulberry32, owning, sendFuzz, type FuzzReply } from '../support/fuzz.js';
import { join, joinSeenBy, list } from './presence-helpers.js';

const MAX_PAYLOAD = 4096;
const ALLOWED_CODES = new Set(['BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED']);

const deepObject = (levels: number): unknown => {
  let value: unknown = { leaf: true };
  for (let i = 0; i < levels; i++) {
    value = { a: value };
  }
  return value;
};
const deepArray = (levels: number): unknown => {
  let value: unknown = [];
  for (let i = 0; i < levels; i++) {
    value = [value];
  }
  return value;
};
describe('hostile input (memory engine)', () => {
  const sockets: TestSocket[] = [];
  let small: AppProcess;
  let fuzzApp: AppProcess;

  const openOn = async (
    app: AppProcess,
    userId: string,
    options: Parameters<typeof connect>[2] = {},
  ) => {
    const socket = await connect(app.url, userId, options);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    [small, fuzzApp] = await Promise.all([
      AppProcess.start({
        env: { ...NO_RATE_LIMITS, SOCKET_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD) },
      }),
      AppProcess.start({ env: { ...NO_RATE_LIMITS, RATE_EVENTS_PER_SECOND: '100000' } }),
    ]);
  });

  afterEach(async () => {
    await closeAndWait(...sockets.splice(0));
  });

  afterAll(async () => {
    await Promise.all([small?.kill(), fuzzApp?.kill()]);
  });

  /** Joins a keeper and a victim to `roomId`; returns both. */
  async function roomWithVictim(
    roomId: string,
    victimOptions: Parameters<typeof connect>[2],
  ): Promise<[TestSocket, TestSocket]> {
    const keeper = await openOn(small, `keeper-${roomId}`);
    await join(keeper, { roomId, connId: `keeper-${roomId}` });
    const victim = await openOn(small, `victim-${roomId}`, victimOptions);
    await joinSeenBy(keeper, victim, { roomId, connId: `victim-${roomId}` });
    return [keeper, victim];
  }

  /** The keeper sees the victim go (away or leave), keeps working, and the server lives. */
  async function onlyTheVictimWasDropped(
    keeper: TestSocket,
    victim: TestSocket,
    roomId: string,
    send: () => void,
  ): Promise<void> {
    const wentAway = nextEvent<PresenceEvent>(
      keeper,
      'presence:event',
      (e) => e.connId === `victim-${roomId}` && (e.type === 'leave' || e.member?.status === 'away'),
    );
    const gone = disconnection(victim);
    send();
    expect(await gone).toMatch(/^transport (close|error)$/);
    await wentAway;
    expect(keeper.connected).toBe(true);
    const members = (await list(keeper, roomId)).members;
    expect(members.find((m) => m.connId === `keeper-${roomId}`)?.status).toBe('online');
    expect((await getJson(small.url, '/health/live')).status).toBe(200);
    const newcomer = await openOn(small, 'newcomer');
    await requestOk(newcomer, 'presence:list', { roomId });
    expect(small.logs).not.toMatch(/unhandled rejection/);
  }

  it('drops only the socket that sends a frame over SOCKET_MAX_PAYLOAD_BYTES', async () => {
    const roomId = 'oversize-room';
    const [keeper, victim] = await roomWithVictim(roomId, { perMessageDeflate: false });
    const big = randomBytes(7500).toString('base64'); // 10 000 chars, incompressible
    await onlyTheVictimWasDropped(keeper, victim, roomId, () => {
      victim.emit('presence:list', { roomId: big }, () => {});
    });
  });

  it('drops only the socket whose compressed frame inflates past the limit', async () => {
    const roomId = 'deflate-room';
    const [keeper, victim] = await roomWithVictim(roomId, { perMessageDeflate: true });
    const ws = (
      (victim as unknown as Socket).io.engine as unknown as {
        transport: { ws: { extensions: string } };
      }
    ).transport.ws;
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const bomb = 'a'.repeat(1_000_000); // deflates to about 1 KB, inflates to 1 MB
    await onlyTheVictimWasDropped(keeper, victim, roomId, () => {
      victim.emit('presence:list', { roomId: bomb }, () => {});
    });
  });

  it('answers a binary payload BAD_REQUEST as a payload that is not a JSON object', async () => {
    const socket = await openOn(fuzzApp, 'binary-sender');
    for (const payload of [Buffer.from([1, 2, 3]), Buffer.alloc(0)]) {
      expect(await request(socket, 'presence:list', payload)).toEqual({
        ok: false,
        error: expect.objectContaining({
          code: 'BAD_REQUEST',
          message: 'payload must be a JSON object',
        }),
      });
    }
  });

  it('answers ≥ 2000 malformed requests once each with a client error, writes nothing, keeps serving', async () => {
    const seed = 20_240_611;
    const rand = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
    const roomId = 'fuzz-room';

    const keeper = await connect(fuzzApp.url, 'fuzz-keeper');
    sockets.push(keeper);
    await join(keeper, { roomId, connId: 'keeper-1', state: { seat: 1, nested: { ok: true } } });
    const pushed = ['presence:event', 'metadata:event', 'lock:event', 'room:message'].flatMap(
      (event) => record<unknown>(keeper, event),
    );
    const before = (await list(keeper, roomId)).members;

    const fuzzer = await connect(fuzzApp.url, 'fuzzer');
    sockets.push(fuzzer);
    const ackPackets = ackCounter(fuzzer);

    const names: unknown[] = [
      ...CLIENT_EVENTS,
      'error',
      'constructor',
      '__proto__',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'then',
      'presence:JOIN',
      'presence:',
      'presence:join ',
      '',
      ' ',
      'server:error',
      'server:shutdown',
      'presence:event',
      'connection',
      '💣:ünïcødé',
      'x'.repeat(300),
      42,
      0,
      -1,
    ];
    const id = () => pick([roomId, 'keeper-1', 'fz-1', 'x'.repeat(65), '', 'ü', 'a b', '../..']);
    const junk = (): unknown =>
      pick<() => unknown>([
        () => 1e308,
        () => -1e308,
        () => 2 ** 53 + 1,
        () => Number.NaN,
        () => -0,
        () => null,
        () => true,
        () => '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ \u0000 \uFFFF \uD83D',
        () => randomBytes(Math.floor(rand() * 64)),
        () => [1, 'two', null],
        () => ({}),
        () => deepArray(40),
      ])();
    // Every payload is wrong for every event: not an object, too deep, a prototype key, an
    // unknown field, or several arguments (which the server reads as an array).
    const payloads: (() => unknown[])[] = [
      () => [],
      () => [junk()],
      () => [pick([0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, -1e-308])],
      () => [null],
      () => ['presence:join'],
      () => ['𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ \u0000'],
      () => [[{ roomId }]],
      () => [randomBytes(1 + Math.floor(rand() * 200))],
      () => [deepArray(1000)],
      () => [{ roomId, connId: 'fz-1', state: deepObject(1000) }],
      () => [
        {
          channelType: 'room',
          channelName: roomId,
          items: [{ key: 'k', value: deepObject(1000) }],
        },
      ],
      () => [deepObject(1000)],
      () => [owning('__proto__', { roomId, connId: 'fz-1' })],
      () => [owning('constructor', { roomId })],
      () => [owning('prototype', { channelType: 'room', channelName: roomId })],
      () => [{ roomId, connId: 'fz-1', state: owning('__proto__', { a: 1 }) }],
      () => [{ roomId, connId: 'fz-1', epoch: 1, statePatch: owning('__proto__', {}) }],
      () => [{ roomId: id(), connId: id(), epoch: junk(), state: junk(), zz_unknown: junk() }],
      () => [
        { channelType: 'room', channelName: roomId, items: [{ key: 'k', value: junk() }], zz: 1 },
      ],
      () => [
        { channelType: 'room', channelName: roomId, lockName: 'l', ttlMs: 5000, extra: junk() },
      ],
      () => [{ roomId, data: { x: 1 }, type: 'message', admin: true }],
      () => [
        { userId: pick(['fuzz-keeper', '💥', 'x'.repeat(65)]), [`k${Math.floor(rand() * 9)}`]: 1 },
      ],
      () => [{ roomId: junk() }],
      () => [{ roomId: pick([1e308, -1, ['a'], { $ne: null }, '💥', 'x'.repeat(65), '']) }],
      () => [{ roomId, connId: 'fz-1', state: { seat: 1 } }, 'extra-argument'],
      () => [{ roomId }, { roomId }],
      () => [{ channelType: 'room', channelName: roomId, items: [{ key: 'k', value: 1 }] }, junk()],
    ];

    const next = (): [unknown, unknown[]] => [pick(names), pick(payloads)()];
    const TOTAL = 2100;
    const CHUNK = 150;
    const replies = new Map<number, FuzzReply>();
    for (let start = 0; start < TOTAL; start += CHUNK) {
      const chunk = await sendFuzz(fuzzer, Math.min(CHUNK, TOTAL - start), CHUNK, next, seed);
      chunk.forEach((reply, ackId) => replies.set(ackId, reply));
      // the other client is served throughout
      expect((await requestOk<ListResult>(keeper, 'presence:list', { roomId })).members).toEqual(
        before,
      );
    }

    expect(replies.size).toBe(TOTAL);
    const wrong = [...replies.values()].filter(({ acks }) => {
      const reply = acks[0] as { ok?: boolean; error?: { code?: string; message?: string } };
      return (
        acks.length !== 1 ||
        reply?.ok !== false ||
        !ALLOWED_CODES.has(reply.error?.code ?? '') ||
        typeof reply.error?.message !== 'string'
      );
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    // exactly one ack packet per request, no duplicates the client would have hidden
    expect([...replies.keys()].filter((ackId) => ackPackets.get(ackId) !== 1)).toEqual([]);
    expect([...ackPackets.keys()].filter((ackId) => !replies.has(ackId))).toEqual([]);

    // nothing was written
    expect((await list(keeper, roomId)).members).toEqual(before);
    expect(await requestOk(keeper, 'presence:user', { userId: 'fuzzer' })).toEqual({
      userId: 'fuzzer',
      rooms: [],
    });
    expect(
      await requestOk(keeper, 'metadata:get', { channelType: 'room', channelName: roomId }),
    ).toEqual(expect.objectContaining({ majorRevision: 0, items: [] }));
    expect(
      await requestOk(keeper, 'lock:list', { channelType: 'room', channelName: roomId }),
    ).toEqual({
      locks: [],
    });
    expect(pushed).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // both sockets and the process are still fine
    expect(fuzzer.connected && keeper.connected).toBe(true);
    await requestOk(fuzzer, 'presence:list', { roomId });
    expect((await getJson(fuzzApp.url, '/health/live')).status).toBe(200);
    expect(fuzzApp.logs).not.toMatch(/unhandled rejection/i);
  });
});
