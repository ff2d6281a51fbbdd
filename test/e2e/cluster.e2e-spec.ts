import type { PresenceEvent } from '@avalon-realtime/client/protocol';
import { FAST_PRESENCE, type AppProcess } from '../support/app.js';
import {
  closeAll,
  connect,
  dropTransport,
  record,
  request,
  untilRecorded,
  type TestSocket,
} from '../support/client.js';
import { RedisServer } from '../support/redis-server.js';
import { startPair } from './cluster-helpers.js';
import { heartbeat, join, joinSeenBy, keepAlive, list } from './presence-helpers.js';

const TTL_MS = Number(FAST_PRESENCE.PRESENCE_TTL_MS);
/** Long enough for a TTL to lapse and the reaper to announce it, with slack for a busy CI. */
const EXPIRY_WAIT_MS = TTL_MS + 4000;

let roomCounter = 0;
const newRoom = () => `croom-${++roomCounter}`;

describe('cluster (Redis engine, two processes)', () => {
  let redis: RedisServer;
  const sockets: TestSocket[] = [];
  const stoppers: (() => void)[] = [];

  const open = async (app: AppProcess, userId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  /** An observer on `app` in `roomId`, heartbeating so it outlives the short TTL. */
  const observe = async (app: AppProcess, roomId: string, userId = 'observer') => {
    const socket = await open(app, userId);
    const session = await join(socket, { roomId, connId: `${userId}-watch` });
    stoppers.push(keepAlive(socket, session));
    return socket;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(() => {
    stoppers.splice(0).forEach((stop) => stop());
    closeAll(...sockets.splice(0));
  });

  afterAll(async () => {
    await redis?.stop();
  });

  describe.each(['lua', 'batched'])('with PRESENCE_HEARTBEAT_MODE=%s', (mode) => {
    let a: AppProcess;
    let b: AppProcess;

    beforeAll(async () => {
      [a, b] = await startPair(redis, { PRESENCE_HEARTBEAT_MODE: mode, ROOM_MAX_MEMBERS: '2' });
    });

    afterAll(async () => {
      await Promise.all([a?.kill(), b?.kill()]);
    });

    it('shows a join, an update and a leave on A to the members on B', async () => {
      const roomId = newRoom();
      const observer = await observe(b, roomId);
      const seen = record<PresenceEvent>(observer, 'presence:event');
      const alice = await open(a, 'alice');
      const s = await join(alice, { roomId, connId: 'alice-1', state: { seat: 1 } });
      expect(s.members.map((m) => m.connId).sort()).toEqual(['alice-1', 'observer-watch']);
      await untilRecorded(observer, 'presence:event', seen, (e) => e.length >= 1);
      const changed = await heartbeat(alice, {
        roomId,
        connId: 'alice-1',
        epoch: s.epoch,
        statePatch: { seat: 2 },
      });
      expect(changed).toEqual({
        ok: true,
        data: expect.objectContaining({ changed: true, epoch: s.epoch }),
      });
      await untilRecorded(observer, 'presence:event', seen, (e) => e.length >= 2);
      await request(alice, 'presence:leave', { roomId, connId: 'alice-1' });
      await untilRecorded(observer, 'presence:event', seen, (e) => e.length >= 3);
      expect(seen.map((e) => [e.type, e.connId, e.userId, e.member?.state, e.reason])).toEqual([
        ['join', 'alice-1', 'alice', { seat: 1 }, undefined],
        ['update', 'alice-1', 'alice', { seat: 2 }, undefined],
        ['leave', 'alice-1', 'alice', undefined, 'left'],
      ]);
      expect((await list(observer, roomId)).members.map((m) => m.connId)).toEqual([
        'observer-watch',
      ]);
    });

    it('applies patches sent back-to-back in order, and announces the final state', async () => {
      const roomId = newRoom();
      const observer = await observe(b, roomId);
      const alice = await open(a, 'alice');
      const s = await joinSeenBy(observer, alice, { roomId, connId: 'alice-1', state: { n: 0 } });
      const seen = record<PresenceEvent>(observer, 'presence:event');
      const ref = { roomId, connId: 'alice-1', epoch: s.epoch };
      const acks = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((n) =>
          heartbeat(alice, {
            ...ref,
            statePatch: { n, [`k${n}`]: n, ...(n === 6 ? { k1: null } : {}) },
          }),
        ),
      );
      for (const ack of acks) {
        expect(ack).toEqual({
          ok: true,
          data: expect.objectContaining({ epoch: s.epoch, changed: true }),
        });
      }
      const final = { n: 6, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6 };
      await untilRecorded(observer, 'presence:event', seen, (e) =>
        e.some((x) => x.member?.state.n === 6),
      );
      expect(
        (await list(observer, roomId)).members.find((m) => m.connId === 'alice-1')?.state,
      ).toEqual(final);
      // Every announced update is a state some prefix of the patches produced, in order.
      const ns = seen.map((e) => e.member?.state.n as number);
      expect(seen.every((e) => e.type === 'update')).toBe(true);
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
      expect(seen[seen.length - 1].member?.state).toEqual(final);
    });

    it('resumes on B a connId joined on A as one update, and fences the old session', async () => {
      const roomId = newRoom();
      const observer = await observe(a, roomId);
      const onA = await open(a, 'alice');
      const first = await joinSeenBy(observer, onA, {
        roomId,
        connId: 'alice-1',
        state: { seat: 5 },
      });
      const seen = record<PresenceEvent>(observer, 'presence:event');
      const onB = await open(b, 'alice');
      const resumed = await join(onB, { roomId, connId: 'alice-1' });
      expect(resumed).toEqual(expect.objectContaining({ resumed: true, connId: 'alice-1' }));
      expect(resumed.epoch).toBeGreaterThan(first.epoch);
      expect(resumed.members.find((m) => m.connId === 'alice-1')?.state).toEqual({ seat: 5 });

      const stale = await heartbeat(onA, {
        roomId,
        connId: 'alice-1',
        epoch: first.epoch,
        state: { seat: 0 },
      });
      expect(stale).toEqual({ ok: false, error: expect.objectContaining({ code: 'STALE_EPOCH' }) });
      await heartbeat(onB, { roomId, connId: 'alice-1', epoch: resumed.epoch, state: { seat: 6 } });
      await untilRecorded(observer, 'presence:event', seen, (e) => e.length >= 2);
      expect(seen.map((e) => [e.type, e.member?.status, e.member?.state])).toEqual([
        ['update', 'online', { seat: 5 }],
        ['update', 'online', { seat: 6 }],
      ]);
    });

    it('answers NOT_JOINED to the old session once the resumed connection left', async () => {
      const roomId = newRoom();
      const onA = await open(a, 'alice');
      const first = await join(onA, { roomId, connId: 'alice-1' });
      const onB = await open(b, 'alice');
      await join(onB, { roomId, connId: 'alice-1' });
      expect(await request(onB, 'presence:leave', { roomId, connId: 'alice-1' })).toEqual({
        ok: true,
        data: { left: true },
      });
      expect(await heartbeat(onA, { roomId, connId: 'alice-1', epoch: first.epoch })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'NOT_JOINED' }),
      });
    });

    it('counts users across processes for ROOM_FULL (ROOM_MAX_MEMBERS=2)', async () => {
      const roomId = newRoom();
      const u1 = await open(a, 'user-1');
      const u2 = await open(b, 'user-2');
      await join(u1, { roomId, connId: 'u1' });
      await join(u2, { roomId, connId: 'u2' });
      const u3 = await open(a, 'user-3');
      expect(await request(u3, 'presence:join', { roomId, connId: 'u3' })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'ROOM_FULL' }),
      });
      const u2Again = await open(a, 'user-2');
      expect((await join(u2Again, { roomId, connId: 'u2-b' })).members).toHaveLength(3);
    });

    it("refuses another user's connId from the other process, and changes nothing", async () => {
      const roomId = newRoom();
      const alice = await open(a, 'alice');
      await join(alice, { roomId, connId: 'alice-1', state: { mine: true } });
      const aliceSeen = record<PresenceEvent>(alice, 'presence:event');
      const before = await list(alice, roomId);
      const bob = await open(b, 'bob');
      for (const [event, payload] of [
        ['presence:join', { roomId, connId: 'alice-1', state: { mine: false } }],
        ['presence:leave', { roomId, connId: 'alice-1' }],
      ] as const) {
        expect(await request(bob, event, payload)).toEqual({
          ok: false,
          error: expect.objectContaining({ code: 'FORBIDDEN' }),
        });
      }
      expect(await list(alice, roomId)).toEqual(before);
      await join(bob, { roomId, connId: 'bob-1' });
      await untilRecorded(alice, 'presence:event', aliceSeen, (e) => e.length >= 1);
      expect(aliceSeen).toEqual([expect.objectContaining({ type: 'join', connId: 'bob-1' })]);
    });

    it('shows a lost transport on A as away on B, then leave reason timeout after the TTL', async () => {
      const roomId = newRoom();
      const observer = await observe(b, roomId);
      const phone = await open(a, 'alice');
      await joinSeenBy(observer, phone, { roomId, connId: 'alice-phone' });
      const refreshedAt = Date.now();
      const seen = record<PresenceEvent>(observer, 'presence:event');
      await dropTransport(phone);
      await untilRecorded(observer, 'presence:event', seen, (e) => e.length >= 2, EXPIRY_WAIT_MS);
      expect(seen.map((e) => [e.type, e.connId, e.member?.status, e.reason])).toEqual([
        ['update', 'alice-phone', 'away', undefined],
        ['leave', 'alice-phone', undefined, 'timeout'],
      ]);
      expect(seen[1].ts - refreshedAt).toBeGreaterThanOrEqual(TTL_MS - 50);
    });

    it('ignores a lost transport of the old socket on A after a resume on B', async () => {
      const roomId = newRoom();
      const observer = await observe(b, roomId);
      const observerOnA = await open(a, 'observer');
      const onA = await open(a, 'alice');
      await joinSeenBy(observer, onA, { roomId, connId: 'alice-1' });
      const onB = await open(b, 'alice');
      const resumed = await joinSeenBy(observer, onB, { roomId, connId: 'alice-1' });
      stoppers.push(keepAlive(onB, resumed));
      const seen = record<PresenceEvent>(observer, 'presence:event');
      await dropTransport(onA);
      // A round trip through A after the drop, then a change from the new session: that
      // change must be the only thing the observer hears.
      await list(observerOnA, roomId);
      await heartbeat(onB, {
        roomId,
        connId: 'alice-1',
        epoch: resumed.epoch,
        state: { after: true },
      });
      await untilRecorded(observer, 'presence:event', seen, (e) => e.length >= 1);
      expect(seen.map((e) => [e.type, e.member?.status, e.member?.state])).toEqual([
        ['update', 'online', { after: true }],
      ]);
      const member = (await list(observer, roomId)).members.find((m) => m.connId === 'alice-1');
      expect(member?.status).toBe('online');
    });
  });

  describe('a process that dies (kill -9)', () => {
    let a: AppProcess;
    let b: AppProcess;

    beforeAll(async () => {
      [a, b] = await startPair(redis, {});
    });

    afterAll(async () => {
      await Promise.all([a?.kill(), b?.kill()]);
    });

    it('has each of its members removed by the survivor with exactly one leave reason timeout', async () => {
      const [roomX, roomY] = [newRoom(), newRoom()];
      const observer = await observe(b, roomX);
      const session = await join(observer, { roomId: roomY, connId: 'observer-watch' });
      stoppers.push(keepAlive(observer, session));
      const alice = await open(a, 'alice');
      const carol = await open(a, 'carol');
      await joinSeenBy(observer, alice, { roomId: roomX, connId: 'alice-1' });
      await joinSeenBy(observer, alice, { roomId: roomX, connId: 'alice-2' });
      await joinSeenBy(observer, carol, { roomId: roomX, connId: 'carol-1' });
      await joinSeenBy(observer, carol, { roomId: roomY, connId: 'carol-1' });
      const seen = record<PresenceEvent>(observer, 'presence:event');

      await a.kill('SIGKILL');
      const leaves = () => seen.filter((e) => e.type === 'leave');
      await untilRecorded(
        observer,
        'presence:event',
        seen,
        () => leaves().length >= 4,
        EXPIRY_WAIT_MS,
      );

      // A marker joins after the crash and stops heartbeating: its timeout leave comes a full
      // TTL and several reaper rounds after the crash leaves, so any duplicate would be here.
      const marker = await open(b, 'marker');
      await joinSeenBy(observer, marker, { roomId: roomY, connId: 'marker-1' });
      await untilRecorded(
        observer,
        'presence:event',
        seen,
        (e) => e.some((x) => x.connId === 'marker-1' && x.type === 'leave'),
        EXPIRY_WAIT_MS,
      );

      const summary = leaves()
        .map((e) => `${e.roomId}/${e.connId}/${e.userId}/${e.reason}`)
        .sort();
      expect(summary).toEqual(
        [
          `${roomX}/alice-1/alice/timeout`,
          `${roomX}/alice-2/alice/timeout`,
          `${roomX}/carol-1/carol/timeout`,
          `${roomY}/carol-1/carol/timeout`,
          `${roomY}/marker-1/marker/timeout`,
        ].sort(),
      );
      // A died without a goodbye: nobody saw its members leave as `left`, and no away either.
      expect(seen.filter((e) => e.type !== 'leave' && e.connId !== 'marker-1')).toEqual([]);
      expect((await list(observer, roomX)).members.map((m) => m.connId)).toEqual([
        'observer-watch',
      ]);
      expect((await list(observer, roomY)).members.map((m) => m.connId)).toEqual([
        'observer-watch',
      ]);
    });
  });
});
