import type { Redis } from 'ioredis';
import type { PresenceEvent } from '@avalon-realtime/client/protocol';
import type { AppProcess } from '../support/app.js';
import { closeAll, connect, record, untilRecorded, type TestSocket } from '../support/client.js';
import {
  FAULT_TIMINGS,
  adminClient,
  expectSurvived,
  readinessBecomes,
  startPairOn,
  stopApp,
  timedRequest,
  type TimedAck,
} from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';
import { heartbeat, join, joinSeenBy, keepAlive, list } from '../e2e/presence-helpers.js';
import { okData, setMeta, userCh } from '../e2e/metadata-helpers.js';

const TTL_MS = Number(FAULT_TIMINGS.PRESENCE_TTL_MS);
const HEARTBEAT_MS = Number(FAULT_TIMINGS.PRESENCE_HEARTBEAT_INTERVAL_MS);
const COMMAND_TIMEOUT_MS = Number(FAULT_TIMINGS.REDIS_COMMAND_TIMEOUT_MS);
/** Shorter than TTL − heartbeat interval: a client heartbeating on schedule never lapses. */
const PAUSE_MS = 1500;
/** A request sent during the pause is answered within the engine deadline plus this. */
const ACK_SLACK_MS = 1000;
/** Requests sent during the pause, one round every this often. */
const ROUND_EVERY_MS = 250;

let roomCounter = 0;
const newRoom = () => `pause-room-${++roomCounter}`;

describe('Redis paused shorter than TTL − heartbeat interval (two processes)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let a: AppProcess;
  let b: AppProcess;
  const sockets: TestSocket[] = [];
  const stoppers: (() => void)[] = [];

  const open = async (app: AppProcess, userId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    expect(PAUSE_MS).toBeLessThan(TTL_MS - HEARTBEAT_MS);
    redis = await RedisServer.start();
    admin = await adminClient(redis);
    [a, b] = await startPairOn(redis);
  });

  afterEach(() => {
    stoppers.splice(0).forEach((stop) => stop());
    closeAll(...sockets.splice(0));
  });

  afterAll(async () => {
    redis?.signal('SIGCONT');
    admin?.disconnect();
    await Promise.all([stopApp(a), stopApp(b)]);
    await redis?.stop();
  });

  /**
   * Members on both processes keep heartbeating through a pause that `pause` starts and
   * `resume` ends; requests sent during it are all answered in time; nobody leaves; after
   * it everything works, across processes too.
   */
  async function scenario(pause: () => Promise<void>, resume: () => void): Promise<void> {
    const roomId = newRoom();
    const observer = await open(b, 'observer');
    const watch = await join(observer, { roomId, connId: 'observer-watch' });
    stoppers.push(keepAlive(observer, watch));
    const alice = await open(a, 'alice');
    const carol = await open(b, 'carol');
    const aliceSession = await joinSeenBy(observer, alice, { roomId, connId: 'alice-1' });
    const carolSession = await joinSeenBy(observer, carol, { roomId, connId: 'carol-1' });
    stoppers.push(keepAlive(alice, aliceSession), keepAlive(carol, carolSession));
    const dan = await open(a, 'dan');
    const seen = record<PresenceEvent>(observer, 'presence:event');

    const deadline = COMMAND_TIMEOUT_MS + ACK_SLACK_MS;
    const round = (n: number): Promise<TimedAck>[] => [
      timedRequest(
        alice,
        'presence:heartbeat',
        { ...ref(aliceSession), statePatch: { n } },
        deadline,
      ),
      timedRequest(carol, 'presence:heartbeat', ref(carolSession), deadline),
      timedRequest(carol, 'presence:list', { roomId }, deadline),
      timedRequest(alice, 'metadata:get', userCh('alice'), deadline),
      timedRequest(
        alice,
        'metadata:set',
        { ...userCh('alice'), items: [{ key: 'n', value: n }] },
        deadline,
      ),
      timedRequest(
        carol,
        'lock:acquire',
        { ...userCh('carol'), lockName: 'l', ttlMs: 10_000 },
        deadline,
      ),
      timedRequest(alice, 'room:message', { roomId, data: { n } }, deadline),
      timedRequest(dan, 'presence:join', { roomId, connId: 'dan-1' }, deadline),
    ];

    await pause();
    const pausedAt = Date.now();
    const resumed = new Promise<void>((resolve) =>
      setTimeout(() => {
        resume();
        resolve();
      }, PAUSE_MS),
    );
    const sent: Promise<TimedAck>[] = [];
    for (let n = 0; Date.now() - pausedAt < PAUSE_MS - ROUND_EVERY_MS; n++) {
      sent.push(...round(n));
      await new Promise((resolve) => setTimeout(resolve, ROUND_EVERY_MS));
    }
    const acks = await Promise.all(sent);
    await resumed;

    for (const r of acks) {
      const outcome = r.ack?.ok ? 'ok' : (r.ack?.error?.code ?? `no ack: ${r.noAck}`);
      expect({ event: r.event, outcome, inTime: r.ms <= deadline }).toEqual({
        event: r.event,
        outcome: expect.stringMatching(/^(ok|UNAVAILABLE)$/),
        inTime: true,
      });
    }
    // Really paused: at least some requests could not be served in time.
    expect(acks.some((r) => r.ack?.ok === false)).toBe(true);

    // After the pause: everything works. Dan's join may or may not have landed
    // (UNAVAILABLE): joining again settles it either way, and keeps it alive.
    await Promise.all([readinessBecomes(a, 200), readinessBecomes(b, 200)]);
    const danSession = await join(dan, { roomId, connId: 'dan-1' });
    stoppers.push(keepAlive(dan, danSession));
    expect(
      okData(await setMeta(alice, { ...userCh('alice'), items: [{ key: 'after', value: true }] })),
    ).toEqual(
      expect.objectContaining({
        items: expect.arrayContaining([expect.objectContaining({ key: 'after' })]),
      }),
    );
    const after = await heartbeat(carol, { ...ref(carolSession), state: { after: true } });
    expect(after).toEqual({ ok: true, data: expect.objectContaining({ changed: true }) });
    const erin = await open(a, 'erin');
    await joinSeenBy(observer, erin, { roomId, connId: 'erin-1' });
    expect((await list(observer, roomId)).members.map((m) => m.connId).sort()).toEqual([
      'alice-1',
      'carol-1',
      'dan-1',
      'erin-1',
      'observer-watch',
    ]);

    // Erin stops heartbeating: her timeout leave comes a full TTL and many reaper rounds
    // after the pause, so any wrong leave of the others would have come before it.
    await untilRecorded(
      observer,
      'presence:event',
      seen,
      (e) => e.some((x) => x.connId === 'erin-1' && x.type === 'leave'),
      TTL_MS + 5000,
    );
    expect(seen.filter((e) => e.type === 'leave').map((e) => [e.connId, e.reason])).toEqual([
      ['erin-1', 'timeout'],
    ]);
    expectSurvived(a, b);
  }

  const ref = (s: { roomId: string; connId: string; epoch: number }) => ({
    roomId: s.roomId,
    connId: s.connId,
    epoch: s.epoch,
  });

  it('SIGSTOP / SIGCONT of redis-server: answers in time, no leave, full service after', async () => {
    await scenario(
      () => {
        redis.signal('SIGSTOP');
        return Promise.resolve();
      },
      () => redis.signal('SIGCONT'),
    );
  }, 30_000);

  it(`CLIENT PAUSE ${PAUSE_MS} ALL: answers in time, no leave, full service after`, async () => {
    await scenario(
      async () => {
        expect(await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL')).toBe('OK');
      },
      () => {},
    );
  }, 30_000);
});
