import type { JoinResult, ListResult, ServerErrorNotice } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAll,
  connect,
  record,
  request,
  requestOk,
  untilRecorded,
  type TestSocket,
} from '../support/client.js';

const ROOM = 'bad-input-room';
const CONN = 'alice-1';
const STATE_LIMIT = 16 * 1024;
const LONG_ID = 'x'.repeat(65);

/** A state object whose JSON serialization is exactly `bytes` UTF-8 bytes. */
function stateOfBytes(bytes: number): Record<string, string> {
  const state = { pad: 'x'.repeat(bytes - '{"pad":""}'.length) };
  expect(Buffer.byteLength(JSON.stringify(state))).toBe(bytes);
  return state;
}

/** An object that really owns the key (a literal `{ __proto__: … }` would set the prototype). */
const ownKey = (key: string) => JSON.parse(`{"${key}":{"x":1}}`) as Record<string, unknown>;

/** Emits a request with no ack callback (untyped: the payloads are wrong on purpose). */
const emitWithoutAck = (socket: TestSocket, event: string, payload: unknown) =>
  (socket as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, payload);

interface Ctx {
  epoch: number;
}
type Case = [
  title: string,
  event: string,
  payload: (ctx: Ctx) => unknown,
  code: string,
  names: RegExp,
];

const hb = (ctx: Ctx, extra: Record<string, unknown>) => ({
  roomId: ROOM,
  connId: CONN,
  epoch: ctx.epoch,
  ...extra,
});

const NOT_AN_OBJECT: [string, unknown][] = [
  ['a string', 'presence'],
  ['a number', 42],
  ['an array', [{ roomId: ROOM }]],
  ['null', null],
  ['nothing', undefined],
];
const EVENTS = [
  'presence:join',
  'presence:heartbeat',
  'presence:leave',
  'presence:list',
  'presence:user',
];

const CASES: Case[] = [
  ...EVENTS.flatMap((event) =>
    NOT_AN_OBJECT.map(([what, value]): Case => [
      `${event} with ${what} as payload`,
      event,
      () => value,
      'BAD_REQUEST',
      /payload/,
    ]),
  ),
  // unknown fields
  [
    'join with an unknown field',
    'presence:join',
    () => ({ roomId: ROOM, admin: true }),
    'BAD_REQUEST',
    /admin/,
  ],
  [
    'heartbeat with an unknown field',
    'presence:heartbeat',
    (c) => hb(c, { ttlMs: 1 }),
    'BAD_REQUEST',
    /ttlMs/,
  ],
  [
    'leave with an unknown field',
    'presence:leave',
    () => ({ roomId: ROOM, connId: CONN, all: true }),
    'BAD_REQUEST',
    /all/,
  ],
  [
    'list with an unknown field',
    'presence:list',
    () => ({ roomId: ROOM, limit: 1 }),
    'BAD_REQUEST',
    /limit/,
  ],
  [
    'user with an unknown field',
    'presence:user',
    () => ({ userId: 'alice', roomId: ROOM }),
    'BAD_REQUEST',
    /roomId/,
  ],
  // missing and wrongly typed fields
  ['join without roomId', 'presence:join', () => ({}), 'BAD_REQUEST', /roomId/],
  ['join with a numeric roomId', 'presence:join', () => ({ roomId: 7 }), 'BAD_REQUEST', /roomId/],
  [
    'join with a numeric connId',
    'presence:join',
    () => ({ roomId: ROOM, connId: 7 }),
    'BAD_REQUEST',
    /connId/,
  ],
  [
    'join with a string state',
    'presence:join',
    () => ({ roomId: ROOM, connId: CONN, state: 'x' }),
    'BAD_REQUEST',
    /state/,
  ],
  [
    'join with an array state',
    'presence:join',
    () => ({ roomId: ROOM, connId: CONN, state: [1] }),
    'BAD_REQUEST',
    /state/,
  ],
  [
    'heartbeat without epoch',
    'presence:heartbeat',
    () => ({ roomId: ROOM, connId: CONN }),
    'BAD_REQUEST',
    /epoch/,
  ],
  [
    'heartbeat with a string epoch',
    'presence:heartbeat',
    (c) => hb(c, { epoch: String(c.epoch) }),
    'BAD_REQUEST',
    /epoch/,
  ],
  [
    'heartbeat with a fractional epoch',
    'presence:heartbeat',
    (c) => hb(c, { epoch: c.epoch + 0.5 }),
    'BAD_REQUEST',
    /epoch/,
  ],
  [
    'heartbeat with a negative epoch',
    'presence:heartbeat',
    (c) => hb(c, { epoch: -1 }),
    'BAD_REQUEST',
    /epoch/,
  ],
  [
    'heartbeat with a boolean state',
    'presence:heartbeat',
    (c) => hb(c, { state: true }),
    'BAD_REQUEST',
    /state/,
  ],
  [
    'heartbeat with an array statePatch',
    'presence:heartbeat',
    (c) => hb(c, { statePatch: [] }),
    'BAD_REQUEST',
    /statePatch/,
  ],
  [
    'heartbeat without connId',
    'presence:heartbeat',
    (c) => ({ roomId: ROOM, epoch: c.epoch }),
    'BAD_REQUEST',
    /connId/,
  ],
  ['leave without connId', 'presence:leave', () => ({ roomId: ROOM }), 'BAD_REQUEST', /connId/],
  ['user with a numeric userId', 'presence:user', () => ({ userId: 1 }), 'BAD_REQUEST', /userId/],
  // identifiers out of pattern
  ...(
    [
      ['an empty', ''],
      ['a 65-character', LONG_ID],
      ['a spaced', 'a room'],
      ['a slashed', 'a/b'],
    ] as const
  ).flatMap(([what, id]): Case[] => [
    [`join with ${what} roomId`, 'presence:join', () => ({ roomId: id }), 'BAD_REQUEST', /roomId/],
    [
      `join with ${what} connId`,
      'presence:join',
      () => ({ roomId: ROOM, connId: id }),
      'BAD_REQUEST',
      /connId/,
    ],
    [
      `heartbeat with ${what} connId`,
      'presence:heartbeat',
      (c) => hb(c, { connId: id }),
      'BAD_REQUEST',
      /connId/,
    ],
    [
      `leave with ${what} roomId`,
      'presence:leave',
      () => ({ roomId: id, connId: CONN }),
      'BAD_REQUEST',
      /roomId/,
    ],
    [`list with ${what} roomId`, 'presence:list', () => ({ roomId: id }), 'BAD_REQUEST', /roomId/],
    [`user with ${what} userId`, 'presence:user', () => ({ userId: id }), 'BAD_REQUEST', /userId/],
  ]),
  // null for optional fields: omit them instead
  [
    'join with connId null',
    'presence:join',
    () => ({ roomId: ROOM, connId: null }),
    'BAD_REQUEST',
    /connId/,
  ],
  [
    'join with state null',
    'presence:join',
    () => ({ roomId: ROOM, connId: CONN, state: null }),
    'BAD_REQUEST',
    /state/,
  ],
  [
    'heartbeat with state null',
    'presence:heartbeat',
    (c) => hb(c, { state: null }),
    'BAD_REQUEST',
    /state/,
  ],
  [
    'heartbeat with statePatch null',
    'presence:heartbeat',
    (c) => hb(c, { statePatch: null }),
    'BAD_REQUEST',
    /statePatch/,
  ],
  // size limits
  [
    'join with a state of 16 KiB + 1 byte',
    'presence:join',
    () => ({ roomId: ROOM, connId: CONN, state: stateOfBytes(STATE_LIMIT + 1) }),
    'PAYLOAD_TOO_LARGE',
    /state/,
  ],
  [
    'heartbeat with a state of 16 KiB + 1 byte',
    'presence:heartbeat',
    (c) => hb(c, { state: stateOfBytes(STATE_LIMIT + 1) }),
    'PAYLOAD_TOO_LARGE',
    /state/,
  ],
  [
    'heartbeat with a statePatch of 16 KiB + 1 byte',
    'presence:heartbeat',
    (c) => hb(c, { statePatch: stateOfBytes(STATE_LIMIT + 1) }),
    'PAYLOAD_TOO_LARGE',
    /statePatch/,
  ],
  // prototype keys
  ...['__proto__', 'constructor', 'prototype'].flatMap((key): Case[] => [
    [
      `join with a ${key} key in state`,
      'presence:join',
      () => ({ roomId: ROOM, connId: CONN, state: ownKey(key) }),
      'BAD_REQUEST',
      new RegExp(key),
    ],
    [
      `heartbeat with a ${key} key in state`,
      'presence:heartbeat',
      (c) => hb(c, { state: ownKey(key) }),
      'BAD_REQUEST',
      new RegExp(key),
    ],
    [
      `heartbeat with a ${key} key in statePatch`,
      'presence:heartbeat',
      (c) => hb(c, { statePatch: ownKey(key) }),
      'BAD_REQUEST',
      new RegExp(key),
    ],
    [
      `heartbeat with a nested ${key} key in statePatch`,
      'presence:heartbeat',
      (c) => hb(c, { statePatch: { deep: ownKey(key) } }),
      'BAD_REQUEST',
      new RegExp(`deep.${key}`),
    ],
  ]),
];

describe('bad input (memory engine)', () => {
  let app: AppProcess;
  let alice: TestSocket;
  let observer: TestSocket;
  const ctx: Ctx = { epoch: 0 };
  let before: ListResult;

  const members = () => requestOk<ListResult>(observer, 'presence:list', { roomId: ROOM });

  beforeAll(async () => {
    app = await AppProcess.start({ env: NO_RATE_LIMITS });
    [alice, observer] = await Promise.all([
      connect(app.url, 'alice'),
      connect(app.url, 'observer'),
    ]);
    await requestOk(observer, 'presence:join', { roomId: ROOM, connId: 'observer-1' });
    const joined = await requestOk<JoinResult>(alice, 'presence:join', {
      roomId: ROOM,
      connId: CONN,
      state: { v: 1 },
    });
    ctx.epoch = joined.epoch;
    before = await members();
  });

  afterAll(async () => {
    closeAll(alice, observer);
    await app?.kill();
  });

  it.each(CASES)('refuses %s', async (_title, event, payload, code, names) => {
    const ack = await request(alice, event, payload(ctx));
    expect(ack).toEqual({
      ok: false,
      error: expect.objectContaining({ code, message: expect.any(String) }),
    });
    if (!ack.ok) {
      expect(ack.error.message).toMatch(names);
    }
  });

  it('wrote nothing for any refused request, and still serves', async () => {
    expect(await members()).toEqual(before);
    const ack = await request(alice, 'presence:heartbeat', {
      roomId: ROOM,
      connId: CONN,
      epoch: ctx.epoch,
      statePatch: { v: 2 },
    });
    expect(ack).toEqual({
      ok: true,
      data: expect.objectContaining({ epoch: ctx.epoch, changed: true }),
    });
  });

  it('accepts a state of exactly 16 KiB, also as a patch result', async () => {
    const exact = stateOfBytes(STATE_LIMIT);
    const joined = await requestOk<JoinResult>(alice, 'presence:join', {
      roomId: 'size-room',
      connId: 'big',
      state: exact,
    });
    expect(joined.members[0].state).toEqual(exact);
    const ref = { roomId: 'size-room', connId: 'big', epoch: joined.epoch };
    expect(await request(alice, 'presence:heartbeat', { ...ref, state: exact })).toEqual({
      ok: true,
      data: expect.objectContaining({ changed: false }),
    });
    expect(await request(alice, 'presence:heartbeat', { ...ref, statePatch: exact })).toEqual({
      ok: true,
      data: expect.objectContaining({ changed: false }),
    });
  });

  it('refuses a patch whose result would exceed 16 KiB, and keeps the state', async () => {
    const exact = stateOfBytes(STATE_LIMIT);
    const joined = await requestOk<JoinResult>(alice, 'presence:join', {
      roomId: 'size-room-2',
      connId: 'big',
      state: exact,
    });
    const ack = await request(alice, 'presence:heartbeat', {
      roomId: 'size-room-2',
      connId: 'big',
      epoch: joined.epoch,
      statePatch: { more: 1 },
    });
    expect(ack).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    });
    const { members: after } = await requestOk<ListResult>(alice, 'presence:list', {
      roomId: 'size-room-2',
    });
    expect(after[0].state).toEqual(exact);
  });

  it('stores a __proto__ key nowhere and leaves the server healthy', async () => {
    await request(alice, 'presence:join', {
      roomId: 'proto-room',
      connId: 'p',
      state: ownKey('__proto__'),
    });
    const { members: listed } = await requestOk<ListResult>(alice, 'presence:list', {
      roomId: 'proto-room',
    });
    expect(listed).toEqual([]);
    const res = await fetch(`${app.url}/health/ready`);
    expect(res.status).toBe(200);
  });

  it('answers an unknown event sent with an ack with BAD_REQUEST', async () => {
    const ack = await request(alice, 'presence:teleport', { roomId: ROOM });
    expect(ack).toEqual({ ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
  });

  it('answers a failing request without an ack with exactly one server:error on that socket', async () => {
    const errors = record<ServerErrorNotice>(alice, 'server:error');
    const observerErrors = record<ServerErrorNotice>(observer, 'server:error');
    emitWithoutAck(alice, 'presence:list', { roomId: '' });
    emitWithoutAck(alice, 'presence:teleport', { roomId: ROOM });
    emitWithoutAck(alice, 'presence:user', 42);
    await untilRecorded(alice, 'server:error', errors, (seen) => seen.length >= 3);
    // One more round trip on the same socket: a duplicate notice would have arrived by now.
    await requestOk(alice, 'presence:list', { roomId: ROOM });
    const byEvent = [...errors].sort((x, y) => x.event.localeCompare(y.event));
    expect(byEvent).toEqual([
      { event: 'presence:list', code: 'BAD_REQUEST', message: expect.stringMatching(/roomId/) },
      { event: 'presence:teleport', code: 'BAD_REQUEST', message: expect.any(String) },
      { event: 'presence:user', code: 'BAD_REQUEST', message: expect.stringMatching(/payload/) },
    ]);
    expect(observerErrors).toEqual([]);
  });

  // socket.io-client refuses only connect, connect_error, disconnect, disconnecting,
  // newListener and removeListener client-side; `error` goes out as an ordinary event.
  it("answers the reserved name 'error' sent with an ack with BAD_REQUEST, and survives", async () => {
    const ack = await request(alice, 'error', { boom: true });
    expect(ack).toEqual({ ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(alice.connected).toBe(true);
    expect(await requestOk(alice, 'presence:list', { roomId: ROOM })).toEqual(
      expect.objectContaining({ roomId: ROOM }),
    );
  });

  it("answers the reserved name 'error' without an ack with exactly one server:error", async () => {
    const errors = record<ServerErrorNotice>(alice, 'server:error');
    emitWithoutAck(alice, 'error', { boom: true });
    await untilRecorded(alice, 'server:error', errors, (seen) => seen.length >= 1);
    // One more round trip on the same socket: a duplicate notice would have arrived by now.
    await requestOk(alice, 'presence:list', { roomId: ROOM });
    expect(errors).toEqual([{ event: 'error', code: 'BAD_REQUEST', message: expect.any(String) }]);
    expect(await requestOk(alice, 'presence:list', { roomId: ROOM })).toEqual(
      expect.objectContaining({ roomId: ROOM }),
    );
  });
});
