import type { Member, PresenceEvent, UserResult } from '@avalon-realtime/client/protocol';
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
import { heartbeat, join, joinSeenBy, keepAlive, list } from './presence-helpers.js';

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
let roomCounter = 0;
/** A fresh room per test, so tests never see each other's members. */
const newRoom = () => `room-${++roomCounter}`;

const byConn = (members: Member[]) => [...members].sort((a, b) => a.connId.localeCompare(b.connId));

describe('presence (memory engine)', () => {
  /** Default timings (TTL 30 s): nothing expires while a test runs. */
  let app: AppProcess;
  /** FAST_PRESENCE timings and ROOM_MAX_MEMBERS=2, for TTL and capacity behaviour. */
  let fast: AppProcess;
  const sockets: TestSocket[] = [];

  const open = async (target: AppProcess, userId: string): Promise<TestSocket> => {
    const socket = await connect(target.url, userId);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    [app, fast] = await Promise.all([
      AppProcess.start({ env: NO_RATE_LIMITS }),
      AppProcess.start({ env: { ...NO_RATE_LIMITS, ...FAST_PRESENCE, ROOM_MAX_MEMBERS: '2' } }),
    ]);
  });

  afterEach(() => {
    closeAll(...sockets.splice(0));
  });

  afterAll(async () => {
    await Promise.all([app?.kill(), fast?.kill()]);
  });

  describe('joining', () => {
    it('answers the join with the session and every member, self included', async () => {
      const roomId = newRoom();
      const alice = await open(app, 'alice');
      const before = Date.now();
      const ack = await join(alice, { roomId, connId: 'alice-phone', state: { seat: 1 } });
      expect(ack).toEqual({
        roomId,
        connId: 'alice-phone',
        epoch: expect.any(Number),
        resumed: false,
        heartbeatIntervalMs: 10_000,
        ttlMs: 30_000,
        members: [
          {
            connId: 'alice-phone',
            userId: 'alice',
            state: { seat: 1 },
            status: 'online',
            joinedAt: expect.any(Number),
            lastSeenAt: expect.any(Number),
          },
        ],
      });
      expect(ack.members[0].joinedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(ack.members[0].joinedAt).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('makes a connId when the client brings none, and starts with an empty state', async () => {
      const roomId = newRoom();
      const alice = await open(app, 'alice');
      const first = await join(alice, { roomId });
      const second = await join(alice, { roomId });
      expect(first.connId).toMatch(ID);
      expect(second.connId).toMatch(ID);
      expect(second.connId).not.toBe(first.connId);
      expect(second.resumed).toBe(false);
      expect(second.members.find((m) => m.connId === first.connId)?.state).toEqual({});
    });

    it('announces a join to the other members, with the member, but not to the joiner', async () => {
      const roomId = newRoom();
      const bob = await open(app, 'bob');
      await join(bob, { roomId, connId: 'bob-1' });
      const alice = await open(app, 'alice');
      const aliceSeen = record<PresenceEvent>(alice, 'presence:event');
      const announced = nextEvent<PresenceEvent>(bob, 'presence:event');
      const ack = await join(alice, { roomId, connId: 'alice-1', state: { ready: false } });
      expect(await announced).toEqual({
        roomId,
        type: 'join',
        connId: 'alice-1',
        userId: 'alice',
        member: ack.members.find((m) => m.connId === 'alice-1'),
        ts: expect.any(Number),
      });
      expect(byConn(ack.members).map((m) => m.connId)).toEqual(['alice-1', 'bob-1']);
      // Bob's next change is the first thing Alice hears: her own join never came back to her.
      const bobSession = await join(bob, { roomId, connId: 'bob-1' });
      await untilRecorded(alice, 'presence:event', aliceSeen, (seen) => seen.length >= 1);
      expect(aliceSeen).toEqual([expect.objectContaining({ type: 'update', connId: 'bob-1' })]);
      expect(bobSession.resumed).toBe(true);
    });
  });

  describe('heartbeats', () => {
    it('replaces the state and announces one update', async () => {
      const roomId = newRoom();
      const observer = await open(app, 'observer');
      await join(observer, { roomId });
      const alice = await open(app, 'alice');
      const session = await join(alice, { roomId, connId: 'alice-1', state: { hp: 10, mp: 5 } });
      const update = nextEvent<PresenceEvent>(
        observer,
        'presence:event',
        (e) => e.type === 'update',
      );
      const before = Date.now();
      const ack = await heartbeat(alice, {
        roomId,
        connId: 'alice-1',
        epoch: session.epoch,
        state: { hp: 9 },
      });
      expect(ack).toEqual({
        ok: true,
        data: { epoch: session.epoch, changed: true, expiresAt: expect.any(Number) },
      });
      if (ack.ok) {
        expect(ack.data.expiresAt).toBeGreaterThanOrEqual(before + 30_000 - 1000);
      }
      expect(await update).toEqual({
        roomId,
        type: 'update',
        connId: 'alice-1',
        userId: 'alice',
        member: expect.objectContaining({
          connId: 'alice-1',
          userId: 'alice',
          state: { hp: 9 },
          status: 'online',
        }),
        ts: expect.any(Number),
      });
    });

    it('applies statePatch as a JSON merge patch', async () => {
      const roomId = newRoom();
      const observer = await open(app, 'observer');
      await join(observer, { roomId });
      const alice = await open(app, 'alice');
      const s = await join(alice, {
        roomId,
        connId: 'alice-1',
        state: { hp: 10, pos: { x: 1, y: 2 }, tags: ['a'], gone: true },
      });
      const update = nextEvent<PresenceEvent>(
        observer,
        'presence:event',
        (e) => e.type === 'update',
      );
      const ack = await heartbeat(alice, {
        roomId,
        connId: 'alice-1',
        epoch: s.epoch,
        statePatch: { pos: { y: 3 }, tags: ['b'], gone: null, added: 'x' },
      });
      expect(ack.ok && ack.data.changed).toBe(true);
      const expected = { hp: 10, pos: { x: 1, y: 3 }, tags: ['b'], added: 'x' };
      expect((await update).member?.state).toEqual(expected);
      expect(
        (await list(observer, roomId)).members.find((m) => m.connId === 'alice-1')?.state,
      ).toEqual(expected);
    });

    it('reports an unchanged state as unchanged and announces nothing, whatever the key order', async () => {
      const roomId = newRoom();
      const observer = await open(app, 'observer');
      await join(observer, { roomId });
      const alice = await open(app, 'alice');
      const s = await joinSeenBy(observer, alice, {
        roomId,
        connId: 'alice-1',
        state: { a: 1, b: { c: 2, d: 3 } },
      });
      const seen = record<PresenceEvent>(observer, 'presence:event');
      const ref = { roomId, connId: 'alice-1', epoch: s.epoch };
      const unchanged = [
        { ...ref },
        { ...ref, state: { b: { d: 3, c: 2 }, a: 1 } },
        { ...ref, statePatch: { a: 1 } },
        { ...ref, statePatch: { missing: null } },
        { ...ref, statePatch: {} },
      ];
      for (const payload of unchanged) {
        expect(await heartbeat(alice, payload)).toEqual({
          ok: true,
          data: { epoch: s.epoch, changed: false, expiresAt: expect.any(Number) },
        });
      }
      const changed = await heartbeat(alice, { ...ref, statePatch: { a: 2 } });
      expect(changed.ok && changed.data.changed).toBe(true);
      await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 1);
      expect(seen).toEqual([
        expect.objectContaining({
          type: 'update',
          connId: 'alice-1',
          member: expect.objectContaining({ state: { a: 2, b: { c: 2, d: 3 } } }),
        }),
      ]);
    });

    it('refuses state and statePatch together, and writes nothing', async () => {
      const roomId = newRoom();
      const alice = await open(app, 'alice');
      const s = await join(alice, { roomId, connId: 'alice-1', state: { v: 1 } });
      const ack = await heartbeat(alice, {
        roomId,
        connId: 'alice-1',
        epoch: s.epoch,
        state: { v: 2 },
        statePatch: { v: 3 },
      });
      expect(ack).toEqual({
        ok: false,
        error: expect.objectContaining({
          code: 'BAD_REQUEST',
          message: expect.stringMatching(/state/),
        }),
      });
      expect((await list(alice, roomId)).members[0].state).toEqual({ v: 1 });
    });

    it('answers STALE_EPOCH to an epoch other than the current one', async () => {
      const roomId = newRoom();
      const alice = await open(app, 'alice');
      const s = await join(alice, { roomId, connId: 'alice-1', state: { v: 1 } });
      for (const epoch of [s.epoch - 1, s.epoch + 1, 0]) {
        const ack = await heartbeat(alice, { roomId, connId: 'alice-1', epoch, state: { v: 2 } });
        expect(ack).toEqual({ ok: false, error: expect.objectContaining({ code: 'STALE_EPOCH' }) });
      }
      expect((await list(alice, roomId)).members[0].state).toEqual({ v: 1 });
    });

    it('answers NOT_JOINED to another socket of the same user until it joins (a resume), and changes nothing', async () => {
      const roomId = newRoom();
      const phone = await open(app, 'alice');
      const s = await join(phone, { roomId, connId: 'alice-1', state: { v: 1 } });
      const tablet = await open(app, 'alice');
      const ack = await heartbeat(tablet, { roomId, connId: 'alice-1', epoch: s.epoch, state: {} });
      expect(ack).toEqual({ ok: false, error: expect.objectContaining({ code: 'NOT_JOINED' }) });
      expect((await list(phone, roomId)).members[0].state).toEqual({ v: 1 });
      expect(await heartbeat(phone, { roomId, connId: 'alice-1', epoch: s.epoch })).toEqual({
        ok: true,
        data: expect.objectContaining({ epoch: s.epoch, changed: false }),
      });
    });
  });

  describe('leaving', () => {
    it('removes the member, announces leave reason left, and answers NOT_JOINED afterwards', async () => {
      const roomId = newRoom();
      const observer = await open(app, 'observer');
      await join(observer, { roomId, connId: 'obs' });
      const alice = await open(app, 'alice');
      const s = await join(alice, { roomId, connId: 'alice-1' });
      const left = nextEvent<PresenceEvent>(observer, 'presence:event', (e) => e.type === 'leave');
      expect(await requestOk(alice, 'presence:leave', { roomId, connId: 'alice-1' })).toEqual({
        left: true,
      });
      expect(await left).toEqual({
        roomId,
        type: 'leave',
        connId: 'alice-1',
        userId: 'alice',
        reason: 'left',
        ts: expect.any(Number),
      });
      expect((await list(observer, roomId)).members.map((m) => m.connId)).toEqual(['obs']);

      const again = await heartbeat(alice, { roomId, connId: 'alice-1', epoch: s.epoch });
      expect(again).toEqual({ ok: false, error: expect.objectContaining({ code: 'NOT_JOINED' }) });
      const leaveAgain = await request(alice, 'presence:leave', { roomId, connId: 'alice-1' });
      expect(leaveAgain).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'NOT_JOINED' }),
      });
    });

    it('leaves every room at once on an explicit client disconnect (reason left)', async () => {
      const [roomA, roomB] = [newRoom(), newRoom()];
      const observer = await open(app, 'observer');
      await join(observer, { roomId: roomA });
      await join(observer, { roomId: roomB });
      const alice = await open(app, 'alice');
      await joinSeenBy(observer, alice, { roomId: roomA, connId: 'alice-1' });
      await joinSeenBy(observer, alice, { roomId: roomB, connId: 'alice-1' });
      const seen = record<PresenceEvent>(observer, 'presence:event');
      alice.disconnect();
      // TTL is 30 s here: a leave within the 5 s wait can only be the explicit one.
      await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 2);
      expect(seen.map((e) => [e.roomId, e.type, e.connId, e.reason]).sort()).toEqual([
        [roomA, 'leave', 'alice-1', 'left'],
        [roomB, 'leave', 'alice-1', 'left'],
      ]);
    });
  });

  describe('listing', () => {
    it('lists a room for anyone, and an unknown room as empty', async () => {
      const roomId = newRoom();
      const alice = await open(app, 'alice');
      const bob = await open(app, 'bob');
      await join(alice, { roomId, connId: 'alice-1', state: { s: 1 } });
      await join(bob, { roomId, connId: 'bob-1' });
      const stranger = await open(app, 'stranger');
      const listed = await list(stranger, roomId);
      expect(listed.roomId).toBe(roomId);
      expect(byConn(listed.members)).toEqual([
        expect.objectContaining({
          connId: 'alice-1',
          userId: 'alice',
          state: { s: 1 },
          status: 'online',
        }),
        expect.objectContaining({ connId: 'bob-1', userId: 'bob', state: {}, status: 'online' }),
      ]);
      expect(await list(stranger, newRoom())).toEqual({ roomId: expect.any(String), members: [] });
    });

    it("lists a user's connections per room, and rooms [] for an absent user", async () => {
      const [roomA, roomB] = [newRoom(), newRoom()];
      const carol = await open(app, 'carol');
      await join(carol, { roomId: roomA, connId: 'carol-1' });
      await join(carol, { roomId: roomB, connId: 'carol-1' });
      await join(carol, { roomId: roomB, connId: 'carol-2' });
      const bob = await open(app, 'bob');
      await join(bob, { roomId: roomB, connId: 'bob-1' });
      const user = await requestOk<UserResult>(bob, 'presence:user', { userId: 'carol' });
      expect(user.userId).toBe('carol');
      const rooms = [...user.rooms].sort((a, b) => a.roomId.localeCompare(b.roomId));
      expect(rooms.map((r) => [r.roomId, r.members.map((m) => m.connId).sort()])).toEqual(
        [
          [roomA, ['carol-1']],
          [roomB, ['carol-1', 'carol-2']],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      expect(rooms.flatMap((r) => r.members).every((m) => m.userId === 'carol')).toBe(true);
      expect(await requestOk(bob, 'presence:user', { userId: 'nobody-here' })).toEqual({
        userId: 'nobody-here',
        rooms: [],
      });
    });
  });

  describe('resuming', () => {
    it('resumes a connId on a new socket as one update, never leave + join', async () => {
      const roomId = newRoom();
      const observer = await open(app, 'observer');
      await join(observer, { roomId });
      const oldSocket = await open(app, 'alice');
      const first = await joinSeenBy(observer, oldSocket, {
        roomId,
        connId: 'alice-1',
        state: { seat: 3 },
      });
      const seen = record<PresenceEvent>(observer, 'presence:event');

      const newSocket = await open(app, 'alice');
      const resumed = await join(newSocket, { roomId, connId: 'alice-1' });
      expect(resumed).toEqual(
        expect.objectContaining({ roomId, connId: 'alice-1', resumed: true }),
      );
      expect(resumed.epoch).toBeGreaterThan(first.epoch);
      const self = resumed.members.find((m) => m.connId === 'alice-1');
      expect(self).toEqual(
        expect.objectContaining({
          state: { seat: 3 },
          status: 'online',
          joinedAt: first.members.find((m) => m.connId === 'alice-1')?.joinedAt,
        }),
      );

      // The old session is fenced; the new one works and its change is the next event.
      const stale = await heartbeat(oldSocket, {
        roomId,
        connId: 'alice-1',
        epoch: first.epoch,
        state: { seat: 9 },
      });
      expect(stale).toEqual({ ok: false, error: expect.objectContaining({ code: 'STALE_EPOCH' }) });
      await heartbeat(newSocket, {
        roomId,
        connId: 'alice-1',
        epoch: resumed.epoch,
        state: { seat: 4 },
      });
      await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 2);
      expect(seen.map((e) => [e.type, e.connId, e.member?.state])).toEqual([
        ['update', 'alice-1', { seat: 3 }],
        ['update', 'alice-1', { seat: 4 }],
      ]);
    });

    it('replaces the stored state when the resume carries one', async () => {
      const roomId = newRoom();
      const alice = await open(app, 'alice');
      await join(alice, { roomId, connId: 'alice-1', state: { v: 1 } });
      const again = await join(alice, { roomId, connId: 'alice-1', state: { v: 2 } });
      expect(again.resumed).toBe(true);
      expect(again.members).toEqual([
        expect.objectContaining({ connId: 'alice-1', state: { v: 2 } }),
      ]);
    });

    const lateDisconnects: [string, (socket: TestSocket) => Promise<void>][] = [
      [
        'a goodbye (socket.disconnect())',
        (socket) => {
          socket.disconnect();
          return Promise.resolve();
        },
      ],
      ['a lost transport', dropTransport],
    ];

    it.each(lateDisconnects)(
      'ignores %s of the old socket after a resume',
      async (_how, disconnectOld) => {
        const roomId = newRoom();
        const observer = await open(app, 'observer');
        await join(observer, { roomId });
        const oldSocket = await open(app, 'alice');
        await joinSeenBy(observer, oldSocket, { roomId, connId: 'alice-1' });
        const newSocket = await open(app, 'alice');
        const resumed = await joinSeenBy(observer, newSocket, { roomId, connId: 'alice-1' });
        const seen = record<PresenceEvent>(observer, 'presence:event');
        await disconnectOld(oldSocket);
        // A change from the new session after the old goodbye is the only event the observer gets.
        await requestOk(observer, 'presence:list', { roomId });
        await heartbeat(newSocket, {
          roomId,
          connId: 'alice-1',
          epoch: resumed.epoch,
          state: { after: true },
        });
        await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 1);
        expect(seen).toEqual([expect.objectContaining({ type: 'update', connId: 'alice-1' })]);
        const member = (await list(observer, roomId)).members.find((m) => m.connId === 'alice-1');
        expect(member).toEqual(
          expect.objectContaining({ status: 'online', state: { after: true } }),
        );
      },
    );
  });

  describe("another user's connId", () => {
    it('is FORBIDDEN for join, heartbeat and leave, and changes nothing', async () => {
      const roomId = newRoom();
      const alice = await open(app, 'alice');
      const s = await join(alice, { roomId, connId: 'alice-1', state: { mine: true } });
      const aliceSeen = record<PresenceEvent>(alice, 'presence:event');
      const before = await list(alice, roomId);

      const mallory = await open(app, 'mallory');
      const ref = { roomId, connId: 'alice-1' };
      expect(await request(mallory, 'presence:join', { ...ref, state: { mine: false } })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'FORBIDDEN' }),
      });
      expect(await heartbeat(mallory, { ...ref, epoch: s.epoch, state: { mine: false } })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'FORBIDDEN' }),
      });
      expect(await request(mallory, 'presence:leave', ref)).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'FORBIDDEN' }),
      });

      expect(await list(alice, roomId)).toEqual(before);
      const ok = await heartbeat(alice, { ...ref, epoch: s.epoch });
      expect(ok).toEqual({
        ok: true,
        data: expect.objectContaining({ epoch: s.epoch, changed: false }),
      });
      // The next thing Alice hears is Bob joining: Mallory's attempts announced nothing.
      const bob = await open(app, 'bob');
      await join(bob, { roomId, connId: 'bob-1' });
      await untilRecorded(alice, 'presence:event', aliceSeen, (events) => events.length >= 1);
      expect(aliceSeen).toEqual([expect.objectContaining({ type: 'join', connId: 'bob-1' })]);
    });
  });

  describe('room capacity (ROOM_MAX_MEMBERS=2)', () => {
    it('refuses a third user with ROOM_FULL but lets a present user add a connection', async () => {
      const roomId = newRoom();
      const u1 = await open(fast, 'user-1');
      const u2 = await open(fast, 'user-2');
      await join(u1, { roomId, connId: 'u1-a' });
      await join(u2, { roomId, connId: 'u2-a' });
      const u3 = await open(fast, 'user-3');
      expect(await request(u3, 'presence:join', { roomId, connId: 'u3-a' })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'ROOM_FULL' }),
      });
      expect((await list(u3, roomId)).members.map((m) => m.connId).sort()).toEqual([
        'u1-a',
        'u2-a',
      ]);

      const u1Tablet = await open(fast, 'user-1');
      const second = await join(u1Tablet, { roomId, connId: 'u1-b' });
      expect(second.members.map((m) => m.connId).sort()).toEqual(['u1-a', 'u1-b', 'u2-a']);
    });
  });

  describe('lost transport (FAST_PRESENCE: TTL 1500 ms)', () => {
    const ttlMs = Number(FAST_PRESENCE.PRESENCE_TTL_MS);

    it('shows the member away at once, then leave reason timeout after the TTL', async () => {
      const roomId = newRoom();
      const observer = await open(fast, 'observer');
      const stop = keepAlive(observer, await join(observer, { roomId }), 300);
      try {
        const phone = await open(fast, 'alice');
        await joinSeenBy(observer, phone, { roomId, connId: 'alice-phone', state: { seat: 1 } });
        const refreshedAt = Date.now();
        const seen = record<PresenceEvent>(observer, 'presence:event');
        await dropTransport(phone);

        await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 1);
        expect(seen[0]).toEqual(
          expect.objectContaining({
            type: 'update',
            connId: 'alice-phone',
            member: expect.objectContaining({ status: 'away', state: { seat: 1 } }),
          }),
        );
        expect(Date.now() - refreshedAt).toBeLessThan(ttlMs);
        expect(
          (await list(observer, roomId)).members.find((m) => m.connId === 'alice-phone')?.status,
        ).toBe('away');

        await untilRecorded(
          observer,
          'presence:event',
          seen,
          (events) => events.length >= 2,
          ttlMs + 3000,
        );
        expect(seen[1]).toEqual({
          roomId,
          type: 'leave',
          connId: 'alice-phone',
          userId: 'alice',
          reason: 'timeout',
          ts: expect.any(Number),
        });
        expect(seen[1].ts - refreshedAt).toBeGreaterThanOrEqual(ttlMs - 50);
        expect(seen).toHaveLength(2);
        expect((await list(observer, roomId)).members.map((m) => m.userId)).toEqual(['observer']);
      } finally {
        stop();
      }
    });

    it('brings an away member back online when it resumes', async () => {
      const roomId = newRoom();
      const observer = await open(fast, 'observer');
      const stop = keepAlive(observer, await join(observer, { roomId }), 300);
      try {
        const phone = await open(fast, 'alice');
        const first = await joinSeenBy(observer, phone, {
          roomId,
          connId: 'alice-phone',
          state: { seat: 2 },
        });
        const seen = record<PresenceEvent>(observer, 'presence:event');
        await dropTransport(phone);
        await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 1);
        expect(seen[0].member?.status).toBe('away');

        const again = await open(fast, 'alice');
        const resumed = await join(again, { roomId, connId: 'alice-phone' });
        expect(resumed.resumed).toBe(true);
        expect(resumed.epoch).toBeGreaterThan(first.epoch);
        await untilRecorded(observer, 'presence:event', seen, (events) => events.length >= 2);
        expect(seen.map((e) => [e.type, e.member?.status, e.member?.state])).toEqual([
          ['update', 'away', { seat: 2 }],
          ['update', 'online', { seat: 2 }],
        ]);
      } finally {
        stop();
      }
    });
  });
});
