import type { Socket } from 'socket.io-client';
import type { Ack, PresenceEvent, ServerShutdownNotice } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAndWait,
  connect,
  nextEvent,
  record,
  untilRecorded,
  type TestSocket,
  refusedWith,
} from '../support/client.js';
import { ackCounter, disconnection, getJson } from '../support/ops.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { join, joinSeenBy, list } from './presence-helpers.js';

const GRACE_MS = 800;
const JITTER_MS = 300;

/** Emits without awaiting; returns every ack the callback got (socket.io-client calls it at most once). */
function fire(socket: TestSocket, event: string, payload: unknown): Ack<unknown>[] {
  const acks: Ack<unknown>[] = [];
  (socket as unknown as Socket).emit(event, payload, (ack: Ack<unknown>) => acks.push(ack));
  return acks;
}

describe('graceful shutdown and rolling restart (Redis, two processes)', () => {
  let redis: RedisServer;
  const sockets: TestSocket[] = [];
  const apps: AppProcess[] = [];

  const openOn = async (app: AppProcess, userId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  const startPair = async (envA: Record<string, string>) => {
    const prefix = uniquePrefix();
    const common = {
      ...NO_RATE_LIMITS,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      SHUTDOWN_RECONNECT_JITTER_MS: String(JITTER_MS),
    };
    const [a, b] = await Promise.all([
      AppProcess.start({ redisUrl: redis.url, prefix, env: { ...common, ...envA } }),
      AppProcess.start({ redisUrl: redis.url, prefix, env: common }),
    ]);
    apps.push(a, b);
    return [a, b];
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    await closeAndWait(...sockets.splice(0));
    await Promise.all(apps.splice(0).map((app) => app.kill('SIGKILL')));
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('moves A’s clients to B without a leave, answering every request in flight, and exits 0', async () => {
    const [a, b] = await startPair({
      PRESENCE_HEARTBEAT_MODE: 'batched',
      HEARTBEAT_BATCH_WINDOW_MS: '300',
    });
    const roomId = 'rolling-room';
    const observer = await openOn(b, 'observer');
    await join(observer, { roomId, connId: 'obs-1' });
    const alice = await openOn(a, 'alice');
    const bob = await openOn(a, 'bob');
    const aliceSession = await joinSeenBy(observer, alice, {
      roomId,
      connId: 'alice-1',
      state: { seat: 1 },
    });
    await joinSeenBy(observer, bob, { roomId, connId: 'bob-1', state: { seat: 2 } });
    const seen = record<PresenceEvent>(observer, 'presence:event');

    const notices = [alice, bob].map((s) => nextEvent<ServerShutdownNotice>(s, 'server:shutdown'));
    const gone = [alice, bob].map((s) => disconnection(s, 5000));
    const ackPackets = [ackCounter(alice), ackCounter(bob)];

    // right before the signal: a state change waiting in its batch, and requests in flight
    const lastState = { seat: 9, note: 'sent right before SIGTERM' };
    const beat = fire(alice, 'presence:heartbeat', {
      roomId,
      connId: 'alice-1',
      epoch: aliceSession.epoch,
      state: lastState,
    });
    const inFlight = [
      ...Array.from({ length: 5 }, () => fire(bob, 'presence:list', { roomId })),
      fire(bob, 'presence:user', { userId: 'alice' }),
      fire(bob, 'metadata:get', { channelType: 'room', channelName: roomId }),
      fire(bob, 'metadata:set', {
        channelType: 'room',
        channelName: roomId,
        items: [{ key: 'last-write', value: 1 }],
      }),
      fire(alice, 'presence:list', { roomId }),
    ];
    const exited = a.kill('SIGTERM');

    const received = await Promise.all(notices);
    for (const notice of received) {
      expect(notice).toEqual({ message: expect.any(String), reconnectAfterMs: expect.any(Number) });
      expect(notice.message.length).toBeGreaterThan(0);
      expect(Number.isInteger(notice.reconnectAfterMs)).toBe(true);
      expect(notice.reconnectAfterMs).toBeGreaterThanOrEqual(0);
      expect(notice.reconnectAfterMs).toBeLessThanOrEqual(JITTER_MS);
    }

    // during the grace: newcomers refused, readiness 503, the old sockets still connected
    const late = await refusedWith(a.url, 'late-comer');
    expect(late.message).toBe('SHUTTING_DOWN');
    expect(late.data).toEqual({ code: 'SHUTTING_DOWN', message: expect.any(String) });
    const ready = await getJson<{ failing?: string[] }>(a.url, '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toContain('running');
    expect(alice.connected && bob.connected).toBe(true);

    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(await exited).toBe(0);

    // every request in flight got exactly one ack, and the grace made each of them ok
    expect(beat).toEqual([
      { ok: true, data: expect.objectContaining({ epoch: aliceSession.epoch, changed: true }) },
    ]);
    expect(inFlight.map((acks) => acks.length)).toEqual(inFlight.map(() => 1));
    expect(inFlight.map((acks) => acks[0]?.ok)).toEqual(inFlight.map(() => true));
    for (const counts of ackPackets) {
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    }

    // reconnect to B after the advised delay, with the same connIds: resumes
    const resumed = await Promise.all(
      [
        { user: 'alice', connId: 'alice-1', notice: received[0] },
        { user: 'bob', connId: 'bob-1', notice: received[1] },
      ].map(async ({ user, connId, notice }) => {
        await new Promise((resolve) => setTimeout(resolve, notice.reconnectAfterMs));
        const socket = await openOn(b, user);
        return join(socket, { roomId, connId });
      }),
    );
    expect(resumed.map((r) => [r.connId, r.resumed])).toEqual([
      ['alice-1', true],
      ['bob-1', true],
    ]);
    expect(resumed[0].epoch).toBeGreaterThan(aliceSession.epoch);

    const members = (await list(observer, roomId)).members;
    expect(members.map((m) => [m.connId, m.status]).sort()).toEqual([
      ['alice-1', 'online'],
      ['bob-1', 'online'],
      ['obs-1', 'online'],
    ]);
    expect(members.find((m) => m.connId === 'alice-1')?.state).toEqual(lastState);
    expect(members.find((m) => m.connId === 'bob-1')?.state).toEqual({ seat: 2 });

    // the observer saw the state change and the two resumes as updates, nothing else
    await untilRecorded(observer, 'presence:event', seen, (events) => {
      const updates = (connId: string) =>
        events.filter((e) => e.connId === connId && e.member?.status === 'online').length;
      return updates('alice-1') >= 2 && updates('bob-1') >= 1;
    });
    expect(seen.filter((e) => e.type !== 'update')).toEqual([]);
    expect(a.logs).not.toMatch(/unhandled rejection/);
    expect(a.logs).toMatch(/shutdown complete/);
  });

  it('flushes a heartbeat still waiting in its batch when the grace ends, and answers it', async () => {
    // the batch window outlasts the grace: only the shutdown's flush can send this heartbeat
    const [a, b] = await startPair({
      PRESENCE_HEARTBEAT_MODE: 'batched',
      HEARTBEAT_BATCH_WINDOW_MS: '1000',
      SHUTDOWN_GRACE_MS: '200',
      SHUTDOWN_RECONNECT_JITTER_MS: '0',
    });
    const roomId = 'flush-room';
    const alice = await openOn(a, 'alice');
    const session = await join(alice, { roomId, connId: 'alice-1', state: { v: 1 } });
    const gone = disconnection(alice, 5000);
    const beat = fire(alice, 'presence:heartbeat', {
      roomId,
      connId: 'alice-1',
      epoch: session.epoch,
      state: { v: 2 },
    });
    const exited = a.kill('SIGTERM');
    expect(await gone).toBe('io server disconnect');
    expect(await exited).toBe(0);

    const onB = await openOn(b, 'alice');
    const resumed = await join(onB, { roomId, connId: 'alice-1' });
    expect(resumed.resumed).toBe(true);
    // the state survives the restart...
    expect(resumed.members.find((m) => m.connId === 'alice-1')?.state).toEqual({ v: 2 });
    // ...and the request that carried it was answered before its socket was closed
    expect(beat).toEqual([
      {
        ok: true,
        data: expect.objectContaining({ changed: true }),
      },
    ]);
  });

  it('exits at once, non-zero, on a second signal during the grace', async () => {
    const app = await AppProcess.start({ env: { ...NO_RATE_LIMITS, SHUTDOWN_GRACE_MS: '10000' } });
    apps.push(app);
    const client = await openOn(app, 'waiting');
    const notice = nextEvent(client, 'server:shutdown');
    const exited = app.kill('SIGTERM');
    await notice;
    const secondAt = Date.now();
    void app.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - secondAt).toBeLessThan(3000);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
  });
});
