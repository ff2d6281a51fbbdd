import type { LockGrant, PresenceEvent } from '@avalon-realtime/client/protocol';
import type { AppProcess } from '../support/app.js';
import {
  closeAll,
  connect,
  record,
  requestOk,
  untilRecorded,
  type TestSocket,
} from '../support/client.js';
import {
  FAULT_TIMINGS,
  expectSurvived,
  readinessBecomes,
  startPairOn,
  stopApp,
  timedRequest,
  type TimedAck,
  unreadyNaming,
} from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { heartbeat, join, joinSeenBy, keepAlive, list } from '../e2e/presence-helpers.js';
import { getMeta, okData, setMeta, userCh } from '../e2e/metadata-helpers.js';

const TTL_MS = Number(FAULT_TIMINGS.PRESENCE_TTL_MS);
const COMMAND_TIMEOUT_MS = Number(FAULT_TIMINGS.REDIS_COMMAND_TIMEOUT_MS);
/** An ack during an outage must come within the engine deadline plus this much. */
const ACK_SLACK_MS = 1500;
/** Redis reconnect backoff is at most 2 s; readiness must come back well within this. */
const RECOVERY_MS = 10_000;

const REDIS_PARTS = ['redis:command', 'redis:adapter-pub', 'redis:adapter-sub'];

let roomCounter = 0;
const newRoom = () => `restart-room-${++roomCounter}`;

describe('Redis restarts (two processes)', () => {
  let redis: RedisServer;
  let a: AppProcess;
  let b: AppProcess;
  const sockets: TestSocket[] = [];
  const stoppers: (() => void)[] = [];

  const open = async (app: AppProcess, userId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  afterEach(() => {
    stoppers.splice(0).forEach((stop) => stop());
    closeAll(...sockets.splice(0));
  });

  const stopAll = async () => {
    await Promise.all([stopApp(a), stopApp(b)]);
    await redis?.stop();
  };

  /** Both processes report 503 naming every Redis part while Redis is away. */
  const expectUnready = () =>
    Promise.all([unreadyNaming(a, REDIS_PARTS), unreadyNaming(b, REDIS_PARTS)]);
  const expectReadyAgain = () =>
    Promise.all([readinessBecomes(a, 200, RECOVERY_MS), readinessBecomes(b, 200, RECOVERY_MS)]);

  describe('restarted EMPTY (no persistence)', () => {
    beforeAll(async () => {
      redis = await RedisServer.start({ persistent: false });
      [a, b] = await startPairOn(redis);
    });

    afterAll(stopAll);

    it('answers every request during the outage, then NOT_JOINED, and a re-join with the same connId works everywhere', async () => {
      const roomId = newRoom();
      const observer = await open(b, 'observer');
      await join(observer, { roomId, connId: 'observer-watch' });
      const alice = await open(a, 'alice');
      const first = await joinSeenBy(observer, alice, { roomId, connId: 'alice-1' });
      const bobOnB = await open(b, 'bob');

      await redis.halt();
      await expectUnready();

      const deadline = COMMAND_TIMEOUT_MS + ACK_SLACK_MS;
      const during: TimedAck[] = await Promise.all([
        timedRequest(
          alice,
          'presence:heartbeat',
          { roomId, connId: 'alice-1', epoch: first.epoch },
          deadline,
        ),
        timedRequest(
          alice,
          'presence:heartbeat',
          { roomId, connId: 'alice-1', epoch: first.epoch, statePatch: { x: 1 } },
          deadline,
        ),
        timedRequest(alice, 'presence:list', { roomId }, deadline),
        timedRequest(alice, 'presence:user', { userId: 'alice' }, deadline),
        timedRequest(bobOnB, 'presence:join', { roomId, connId: 'bob-1' }, deadline),
        timedRequest(bobOnB, 'metadata:get', userCh('bob'), deadline),
        timedRequest(
          bobOnB,
          'metadata:set',
          { ...userCh('bob'), items: [{ key: 'k', value: 1 }] },
          deadline,
        ),
        timedRequest(
          bobOnB,
          'lock:acquire',
          { ...userCh('bob'), lockName: 'l', ttlMs: 5000 },
          deadline,
        ),
        timedRequest(alice, 'room:message', { roomId, data: { hi: 1 } }, deadline),
      ]);
      for (const r of during) {
        expect({ event: r.event, noAck: r.noAck, ok: r.ack?.ok }).toEqual({
          event: r.event,
          noAck: undefined,
          ok: false,
        });
        expect({ event: r.event, code: r.ack?.error?.code }).toEqual({
          event: r.event,
          code: 'UNAVAILABLE',
        });
      }
      expectSurvived(a, b);

      await redis.launch();
      await expectReadyAgain();

      // Storage lost the connection: its next heartbeat says so...
      const lost = await heartbeat(alice, { roomId, connId: 'alice-1', epoch: first.epoch });
      expect(lost).toEqual({ ok: false, error: expect.objectContaining({ code: 'NOT_JOINED' }) });
      // ...and the client joins again with the same connId, seen on the other process.
      await join(observer, { roomId, connId: 'observer-watch' });
      const seen = record<PresenceEvent>(observer, 'presence:event');
      const again = await joinSeenBy(observer, alice, { roomId, connId: 'alice-1' });
      expect(again.connId).toBe('alice-1');
      const beat = await heartbeat(alice, {
        roomId,
        connId: 'alice-1',
        epoch: again.epoch,
        statePatch: { back: true },
      });
      expect(beat).toEqual({ ok: true, data: expect.objectContaining({ changed: true }) });
      await untilRecorded(observer, 'presence:event', seen, (e) =>
        e.some((x) => x.type === 'update' && x.member?.state.back === true),
      );
      expect((await list(observer, roomId)).members.map((m) => m.connId).sort()).toEqual([
        'alice-1',
        'observer-watch',
      ]);

      // Cross-process broadcasts both ways: a join on A seen on B, a join on B seen on A.
      const carol = await open(a, 'carol');
      await joinSeenBy(observer, carol, { roomId, connId: 'carol-1' });
      await joinSeenBy(alice, bobOnB, { roomId, connId: 'bob-1' });
      expectSurvived(a, b);
    }, 40_000);

    it('hands out larger fencing tokens after the restart than before it', async () => {
      const dave = await open(a, 'dave');
      const lock = { ...userCh('dave'), lockName: 'fenced', ttlMs: 60_000 };
      const before = await requestOk<LockGrant>(dave, 'lock:acquire', lock);
      await requestOk(dave, 'lock:release', { ...userCh('dave'), lockName: 'fenced' });
      const again = await requestOk<LockGrant>(dave, 'lock:acquire', lock);
      expect(again.token).toBeGreaterThan(before.token);

      await redis.halt();
      await expectUnready();
      await redis.launch();
      await expectReadyAgain();

      const onB = await open(b, 'dave');
      const after = await requestOk<LockGrant>(onB, 'lock:acquire', lock);
      expect(after.token).toBeGreaterThan(again.token);
      expectSurvived(a, b);
    }, 30_000);
  });

  describe('restarted WITH persistence (AOF)', () => {
    beforeAll(async () => {
      redis = await RedisServer.start({ persistent: true });
      [a, b] = await startPairOn(redis);
    });

    afterAll(stopAll);

    it('keeps members, epochs and metadata; nobody is announced as leaving', async () => {
      const roomId = newRoom();
      const observer = await open(b, 'observer');
      const watch = await join(observer, { roomId, connId: 'observer-watch' });
      stoppers.push(keepAlive(observer, watch));
      const alice = await open(a, 'alice');
      const carol = await open(b, 'carol');
      const aliceSession = await joinSeenBy(observer, alice, {
        roomId,
        connId: 'alice-1',
        state: { seat: 1 },
      });
      const carolSession = await join(carol, { roomId, connId: 'carol-1', state: { seat: 2 } });
      stoppers.push(keepAlive(alice, aliceSession), keepAlive(carol, carolSession));
      const written = okData(
        await setMeta(alice, { ...userCh('alice'), items: [{ key: 'score', value: { n: 7 } }] }),
      );
      const seen = record<PresenceEvent>(observer, 'presence:event');

      await redis.halt();
      await expectUnready();
      await redis.launch();
      await expectReadyAgain();

      // Heartbeats with the epochs from before the restart still work.
      for (const [socket, session] of [
        [alice, aliceSession],
        [carol, carolSession],
      ] as const) {
        const beat = await heartbeat(socket, {
          roomId,
          connId: session.connId,
          epoch: session.epoch,
        });
        expect(beat).toEqual({ ok: true, data: expect.objectContaining({ epoch: session.epoch }) });
      }
      const members = (await list(observer, roomId)).members;
      expect(members.map((m) => [m.connId, m.state]).sort()).toEqual([
        ['alice-1', { seat: 1 }],
        ['carol-1', { seat: 2 }],
        ['observer-watch', {}],
      ]);
      expect(await getMeta(carol, userCh('alice'))).toEqual(
        expect.objectContaining({ majorRevision: written.majorRevision, items: written.items }),
      );

      // A marker that stops heartbeating times out a full TTL and several reaper rounds
      // after the restart: any wrong leave of the others would have come before it.
      const marker = await open(a, 'marker');
      await joinSeenBy(observer, marker, { roomId, connId: 'marker-1' });
      await untilRecorded(
        observer,
        'presence:event',
        seen,
        (e) => e.some((x) => x.connId === 'marker-1' && x.type === 'leave'),
        TTL_MS + 5000,
      );
      expect(seen.filter((e) => e.type === 'leave').map((e) => [e.connId, e.reason])).toEqual([
        ['marker-1', 'timeout'],
      ]);
      expectSurvived(a, b);
    }, 40_000);
  });
});
