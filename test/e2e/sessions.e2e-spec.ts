import type { JoinResult, PresenceEvent } from '@avalon-realtime/client/protocol';
import { AppProcess, FAST_PRESENCE, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAll,
  connect,
  nextEvent,
  request,
  requestOk,
  type TestSocket,
} from '../support/client.js';
import { adminClient } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { startPair } from './cluster-helpers.js';
import { heartbeat, join, joinSeenBy, keepAlive, list } from './presence-helpers.js';
import { drained, hearing, heardEvery, NOTHING, sendEveryRoomEvent } from './session-helpers.js';

const TTL_MS = Number(FAST_PRESENCE.PRESENCE_TTL_MS);
/** Long enough for a TTL to lapse and the reaper to announce it, with slack for a busy CI. */
const EXPIRY_WAIT_MS = TTL_MS + 4000;
const MAX_ROOMS = { MAX_ROOMS_PER_SOCKET: '3' };

let roomCounter = 0;
const newRoom = () => `sroom-${++roomCounter}`;

/**
 * PROTOCOL version 2: a socket hears a room's events only while it holds a live session
 * there. Absence is asserted without sleeping: a listener on the ended socket's process
 * hears a marker sent after everything else, then a round trip on the ended socket brings
 * whatever its process had sent it.
 */
describe('sessions: room events follow the session', () => {
  const sockets: TestSocket[] = [];
  const stoppers: (() => void)[] = [];

  const open = async (app: AppProcess, userId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  /** A member that heartbeats, so it outlives a short TTL; seen joining by `observer`. */
  const member = async (
    app: AppProcess,
    userId: string,
    roomId: string,
    observer?: TestSocket,
  ): Promise<[TestSocket, JoinResult]> => {
    const socket = await open(app, userId);
    const payload = { roomId, connId: `${userId}-1` };
    const session = observer
      ? await joinSeenBy(observer, socket, payload)
      : await join(socket, payload);
    stoppers.push(keepAlive(socket, session));
    return [socket, session];
  };

  const timeoutOf = (observer: TestSocket, connId: string) =>
    nextEvent<PresenceEvent>(
      observer,
      'presence:event',
      (e) => e.type === 'leave' && e.connId === connId,
      EXPIRY_WAIT_MS,
    );

  afterEach(() => {
    stoppers.splice(0).forEach((stop) => stop());
    closeAll(...sockets.splice(0));
  });

  describe('memory engine, one process', () => {
    /** Default timings: nothing expires while a test runs. */
    let app: AppProcess;
    /** FAST_PRESENCE timings (TTL 1500 ms). */
    let fast: AppProcess;

    beforeAll(async () => {
      [app, fast] = await Promise.all([
        AppProcess.start({ env: { ...NO_RATE_LIMITS, ...MAX_ROOMS } }),
        AppProcess.start({ env: { ...NO_RATE_LIMITS, ...FAST_PRESENCE, ...MAX_ROOMS } }),
      ]);
    });

    afterAll(async () => {
      await Promise.all([app?.kill(), fast?.kill()]);
    });

    it('stops every room event to a socket from its presence:leave ack on, its own leave included', async () => {
      const roomId = newRoom();
      const [olga] = await member(app, 'olga', roomId);
      const [carol, carolSession] = await member(app, 'carol', roomId, olga);
      const alice = await open(app, 'alice');
      await joinSeenBy(olga, alice, { roomId, connId: 'alice-1' });
      const [aliceHeard, olgaHeard] = [hearing(alice), hearing(olga)];

      await requestOk(alice, 'presence:leave', { roomId, connId: 'alice-1' });
      const marker = await sendEveryRoomEvent(carol, carolSession, [olga]);
      await drained(alice, roomId);

      expect(heardEvery(olgaHeard, marker)).toBe(true);
      expect(olgaHeard.presence[0]).toEqual(
        expect.objectContaining({ type: 'leave', connId: 'alice-1', reason: 'left' }),
      );
      expect(aliceHeard).toEqual(NOTHING);
    });

    it('keeps a socket holding two connIds in a room hearing it until both ended', async () => {
      const roomId = newRoom();
      const [olga] = await member(app, 'olga', roomId);
      const [carol, carolSession] = await member(app, 'carol', roomId, olga);
      const alice = await open(app, 'alice');
      await joinSeenBy(olga, alice, { roomId, connId: 'alice-1' });
      await joinSeenBy(olga, alice, { roomId, connId: 'alice-2' });

      await requestOk(alice, 'presence:leave', { roomId, connId: 'alice-1' });
      const stillThere = hearing(alice);
      const first = await sendEveryRoomEvent(carol, carolSession, [olga, alice]);
      expect(heardEvery(stillThere, first)).toBe(true);

      await requestOk(alice, 'presence:leave', { roomId, connId: 'alice-2' });
      const gone = hearing(alice);
      await sendEveryRoomEvent(carol, carolSession, [olga]);
      await drained(alice, roomId);
      expect(gone).toEqual(NOTHING);
    });

    it('stops room events to a socket whose connId another socket resumed', async () => {
      const roomId = newRoom();
      const [olga] = await member(app, 'olga', roomId);
      const [carol, carolSession] = await member(app, 'carol', roomId, olga);
      const oldSocket = await open(app, 'alice');
      const first = await joinSeenBy(olga, oldSocket, { roomId, connId: 'alice-1' });
      const oldHeard = hearing(oldSocket);
      const newSocket = await open(app, 'alice');
      const newHeard = hearing(newSocket);
      await joinSeenBy(olga, newSocket, { roomId, connId: 'alice-1' });

      const marker = await sendEveryRoomEvent(carol, carolSession, [olga, newSocket]);
      await drained(oldSocket, roomId);

      expect(heardEvery(newHeard, marker)).toBe(true);
      expect(oldHeard).toEqual(NOTHING);
      expect(await heartbeat(oldSocket, { roomId, connId: 'alice-1', epoch: first.epoch })).toEqual(
        {
          ok: false,
          error: expect.objectContaining({ code: 'STALE_EPOCH' }),
        },
      );
    });

    it('stops room events to a socket that timed out with its transport open, and answers NOT_JOINED', async () => {
      const roomId = newRoom();
      const [olga] = await member(fast, 'olga', roomId);
      const [carol, carolSession] = await member(fast, 'carol', roomId, olga);
      const alice = await open(fast, 'alice');
      const silent = await joinSeenBy(olga, alice, { roomId, connId: 'alice-1' });
      const aliceHeard = hearing(alice);

      const left = await timeoutOf(olga, 'alice-1');
      expect(left.reason).toBe('timeout');
      expect(alice.connected).toBe(true);
      await sendEveryRoomEvent(carol, carolSession, [olga]);
      await drained(alice, roomId);

      expect(aliceHeard).toEqual(NOTHING);
      expect(await heartbeat(alice, { roomId, connId: 'alice-1', epoch: silent.epoch })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'NOT_JOINED' }),
      });
    });

    it('frees the room budget of sessions that timed out (MAX_ROOMS_PER_SOCKET=3)', async () => {
      const rooms = [newRoom(), newRoom(), newRoom()];
      const olga = await open(fast, 'olga');
      for (const roomId of rooms) {
        stoppers.push(keepAlive(olga, await join(olga, { roomId, connId: 'olga-1' })));
      }
      const alice = await open(fast, 'alice');
      const timeouts = rooms.map((roomId) =>
        nextEvent<PresenceEvent>(
          olga,
          'presence:event',
          (e) => e.roomId === roomId && e.type === 'leave' && e.connId === 'alice-1',
          EXPIRY_WAIT_MS,
        ),
      );
      for (const roomId of rooms) {
        await join(alice, { roomId, connId: 'alice-1' });
      }
      expect(await request(alice, 'presence:join', { roomId: newRoom() })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'RATE_LIMITED' }),
      });

      await Promise.all(timeouts);
      for (const roomId of [newRoom(), newRoom(), newRoom()]) {
        await join(alice, { roomId, connId: 'alice-2' });
      }
    });

    it('reserves MAX_ROOMS_PER_SOCKET=3 for concurrent joins, and frees a place on leave', async () => {
      const alice = await open(app, 'alice');
      const rooms = Array.from({ length: 10 }, () => newRoom());
      const acks = await Promise.all(
        rooms.map((roomId) => request<JoinResult>(alice, 'presence:join', { roomId })),
      );
      const joined = acks.flatMap((ack) => (ack.ok ? [ack.data.roomId] : []));
      expect(joined).toHaveLength(3);
      expect(acks.filter((ack) => !ack.ok)).toEqual(
        Array(7).fill({ ok: false, error: expect.objectContaining({ code: 'RATE_LIMITED' }) }),
      );
      for (const roomId of rooms) {
        const expected = joined.includes(roomId) ? 1 : 0;
        expect((await list(alice, roomId)).members).toHaveLength(expected);
      }

      const [leaving] = acks.flatMap((ack) => (ack.ok ? [ack.data] : []));
      await requestOk(alice, 'presence:leave', { roomId: leaving.roomId, connId: leaving.connId });
      // A join that fails gives its place back.
      const bob = await open(app, 'bob');
      const bobRoom = newRoom();
      await join(bob, { roomId: bobRoom, connId: 'bob-1' });
      expect(await request(alice, 'presence:join', { roomId: bobRoom, connId: 'bob-1' })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'FORBIDDEN' }),
      });
      await join(alice, { roomId: newRoom() });
      expect(await request(alice, 'presence:join', { roomId: newRoom() })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'RATE_LIMITED' }),
      });
    });
  });

  describe('Redis engine, two processes', () => {
    let redis: RedisServer;
    let a: AppProcess;
    let b: AppProcess;

    beforeAll(async () => {
      redis = await RedisServer.start();
      [a, b] = await startPair(redis, { PRESENCE_HEARTBEAT_MODE: 'batched' });
    });

    afterAll(async () => {
      await Promise.all([a?.kill(), b?.kill()]);
      await redis?.stop();
    });

    it('stops room events to a socket on A whose connId a socket on B resumed', async () => {
      const roomId = newRoom();
      const [olga] = await member(a, 'olga', roomId);
      const [carol, carolSession] = await member(b, 'carol', roomId, olga);
      const onA = await open(a, 'alice');
      const first = await joinSeenBy(olga, onA, { roomId, connId: 'alice-1' });
      const heardOnA = hearing(onA);
      const onB = await open(b, 'alice');
      const heardOnB = hearing(onB);
      stoppers.push(keepAlive(onB, await joinSeenBy(olga, onB, { roomId, connId: 'alice-1' })));

      const marker = await sendEveryRoomEvent(carol, carolSession, [olga, onB]);
      await drained(onA, roomId);

      expect(heardEvery(heardOnB, marker)).toBe(true);
      expect(heardOnA).toEqual(NOTHING);
      expect(await heartbeat(onA, { roomId, connId: 'alice-1', epoch: first.epoch })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'STALE_EPOCH' }),
      });
    });

    it('stops room events to a socket on A whose connection a socket on B left', async () => {
      const roomId = newRoom();
      const [olga] = await member(a, 'olga', roomId);
      const [carol, carolSession] = await member(b, 'carol', roomId, olga);
      const onA = await open(a, 'alice');
      const session = await joinSeenBy(olga, onA, { roomId, connId: 'alice-1' });
      stoppers.push(keepAlive(onA, session));
      const heardOnA = hearing(onA);

      const onB = await open(b, 'alice');
      await requestOk(onB, 'presence:leave', { roomId, connId: 'alice-1' });
      await sendEveryRoomEvent(carol, carolSession, [olga]);
      await drained(onA, roomId);

      expect(heardOnA).toEqual(NOTHING);
    });

    it('stops room events to a socket on A that timed out with its transport open, whichever process reaped it', async () => {
      const roomId = newRoom();
      const [olga] = await member(a, 'olga', roomId);
      const [carol, carolSession] = await member(b, 'carol', roomId, olga);
      const alice = await open(a, 'alice');
      const silent = await joinSeenBy(olga, alice, { roomId, connId: 'alice-1' });
      const aliceHeard = hearing(alice);

      expect((await timeoutOf(olga, 'alice-1')).reason).toBe('timeout');
      await sendEveryRoomEvent(carol, carolSession, [olga]);
      await drained(alice, roomId);

      expect(aliceHeard).toEqual(NOTHING);
      expect(await heartbeat(alice, { roomId, connId: 'alice-1', epoch: silent.epoch })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'NOT_JOINED' }),
      });
    });

    // Last in this block: it empties the shared Redis.
    it('stops room events to a socket at the heartbeat storage refused after losing its connection', async () => {
      const roomId = newRoom();
      const olga = await open(a, 'olga');
      const carol = await open(b, 'carol');
      const alice = await open(a, 'alice');
      const before = [
        await join(olga, { roomId, connId: 'olga-1' }),
        await joinSeenBy(olga, carol, { roomId, connId: 'carol-1' }),
        await joinSeenBy(olga, alice, { roomId, connId: 'alice-1' }),
      ];
      const admin = await adminClient(redis);
      await admin.flushdb(); // what a Redis restarted empty holds; no process was told
      await admin.quit();
      stoppers.push(keepAlive(olga, await join(olga, { roomId, connId: 'olga-1' })));
      const carolAgain = nextEvent<PresenceEvent>(
        alice,
        'presence:event',
        (e) => e.type === 'join',
      );
      const carolSession = await joinSeenBy(olga, carol, { roomId, connId: 'carol-1' });
      stoppers.push(keepAlive(carol, carolSession));
      // Nobody told A: alice's socket still hears the room, until its next heartbeat.
      await carolAgain;
      expect(await heartbeat(alice, { roomId, connId: 'alice-1', epoch: before[2].epoch })).toEqual(
        { ok: false, error: expect.objectContaining({ code: 'NOT_JOINED' }) },
      );
      const aliceHeard = hearing(alice);
      await sendEveryRoomEvent(carol, carolSession, [olga]);
      await drained(alice, roomId);

      expect(aliceHeard).toEqual(NOTHING);
    });
  });
});
