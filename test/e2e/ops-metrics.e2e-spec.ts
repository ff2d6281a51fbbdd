import type { PresenceEvent } from '@avalon-realtime/client/protocol';
import { AppProcess, FAST_PRESENCE, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAndWait,
  connect,
  dropTransport,
  nextEvent,
  refusal,
  request,
  requestOk,
  type TestSocket,
} from '../support/client.js';
import {
  getJson,
  getText,
  jsonLines,
  parseMetrics,
  scrape,
  untilLogged,
  valueOf,
  type Scrape,
} from '../support/ops.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { foreignToken, tokenFor } from '../support/tokens.js';
import { heartbeat, join, joinSeenBy, keepAlive } from './presence-helpers.js';

/** Ids distinctive enough that finding one in a label value can only mean it leaked. */
const USER = 'opsuser7f3a';
const WATCHER = 'opswatch2b9e';
const GHOST = 'opsghost4c1d';
const ROOM = 'opsroom91c2';
const CONN = 'opsconn55d1';

const FAMILIES: [name: string, type: string][] = [
  ['realtime_connections', 'gauge'],
  ['realtime_connections_total', 'counter'],
  ['realtime_events_total', 'counter'],
  ['realtime_event_duration_seconds', 'histogram'],
  ['realtime_broadcasts_total', 'counter'],
  ['realtime_rooms', 'gauge'],
  ['realtime_heartbeat_batch_size', 'histogram'],
  ['realtime_reaped_connections_total', 'counter'],
  ['realtime_metadata_retries_total', 'counter'],
  ['realtime_metadata_conflicts_total', 'counter'],
  ['realtime_rate_limited_total', 'counter'],
  // prom-client's defaults
  ['process_cpu_user_seconds_total', 'counter'],
  ['process_resident_memory_bytes', 'gauge'],
  ['nodejs_heap_size_used_bytes', 'gauge'],
  ['nodejs_eventloop_lag_seconds', 'gauge'],
];

interface Stats {
  nodeId: string;
  uptimeS: number;
  connections: number;
  rooms: number;
  memory: { rss: number; heapUsed: number };
  eventLoopLagMs: number;
}

describe('operations: metrics, health, stats and logs', () => {
  let redis: RedisServer;
  let memory: AppProcess;
  let redisA: AppProcess;
  let redisB: AppProcess;
  const sockets: TestSocket[] = [];
  const stoppers: (() => void)[] = [];

  const openOn = async (app: AppProcess, userId: string) => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    const prefix = uniquePrefix();
    [memory, redisA, redisB] = await Promise.all([
      AppProcess.start({
        env: {
          ...NO_RATE_LIMITS,
          ...FAST_PRESENCE,
          PRESENCE_HEARTBEAT_MODE: 'batched',
          MAX_CONN_PER_USER: '2',
        },
      }),
      AppProcess.start({ redisUrl: redis.url, prefix, env: NO_RATE_LIMITS }),
      AppProcess.start({ redisUrl: redis.url, prefix, env: NO_RATE_LIMITS }),
    ]);
  });

  afterEach(async () => {
    stoppers.splice(0).forEach((stop) => stop());
    await closeAndWait(...sockets.splice(0));
  });

  afterAll(async () => {
    await Promise.all([memory?.kill(), redisA?.kill(), redisB?.kill()]);
    await redis?.stop();
  });

  describe('GET /metrics', () => {
    let before: Scrape;
    let after: Scrape;
    let watcherSocketId: string | undefined;
    let userSocketId: string | undefined;

    beforeAll(async () => {
      before = await scrape(memory);
      const watcher = await openOn(memory, WATCHER);
      watcherSocketId = watcher.id;
      stoppers.push(keepAlive(watcher, await join(watcher, { roomId: ROOM, connId: 'w-1' })));
      const alice = await openOn(memory, USER);
      userSocketId = alice.id;
      const session = await joinSeenBy(watcher, alice, {
        roomId: ROOM,
        connId: CONN,
        state: { seat: 1 },
      });
      stoppers.push(keepAlive(alice, session));
      expect(
        await heartbeat(alice, {
          roomId: ROOM,
          connId: CONN,
          epoch: session.epoch,
          state: { seat: 2 },
        }),
      ).toEqual({ ok: true, data: expect.objectContaining({ changed: true }) });
      // one REVISION_CONFLICT, one unknown event, one BAD_REQUEST on a known event
      const conflict = await request(alice, 'metadata:set', {
        channelType: 'room',
        channelName: ROOM,
        items: [{ key: 'k', value: 1, revision: 7 }],
      });
      expect(conflict).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'REVISION_CONFLICT' }),
      });
      expect(await request(alice, 'no:such-event', {})).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'BAD_REQUEST' }),
      });
      expect(await request(alice, 'presence:list', { roomId: ROOM, extra: USER })).toEqual({
        ok: false,
        error: expect.objectContaining({ code: 'BAD_REQUEST' }),
      });
      // refused handshakes: a bad token, and a third socket of a user (MAX_CONN_PER_USER=2)
      expect((await refusal(memory.url, { token: await foreignToken(USER) })).message).toBe(
        'UNAUTHENTICATED',
      );
      await openOn(memory, USER);
      expect((await refusal(memory.url, { token: await tokenFor(USER) })).message).toBe(
        'RATE_LIMITED',
      );
      // a connection that expires: transport lost, then reaped after the TTL
      const ghost = await openOn(memory, GHOST);
      await joinSeenBy(watcher, ghost, { roomId: ROOM, connId: `${GHOST}-c` });
      const reaped = nextEvent<PresenceEvent>(
        watcher,
        'presence:event',
        (e) => e.type === 'leave' && e.userId === GHOST,
        8000,
      );
      await dropTransport(ghost);
      expect((await reaped).reason).toBe('timeout');
      after = await scrape(memory);
    });

    it('serves Prometheus text with every metric family and its type', async () => {
      const { status, type } = await getText(memory.url, '/metrics');
      expect(status).toBe(200);
      expect(type).toMatch(/^text\/plain/);
      for (const [name, kind] of FAMILIES) {
        expect([name, after.types.get(name)]).toEqual([name, kind]);
      }
      // realtime_redis_up exists only where there is a Redis
      expect(after.types.has('realtime_redis_up')).toBe(false);
    });

    it('counts handshakes, requests, durations, broadcasts, batches, conflicts, limits and reaping', () => {
      const delta = (name: string, labels: Record<string, string> = {}) =>
        (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
      expect(delta('realtime_connections_total', { result: 'accepted', reason: 'ok' })).toBe(4);
      expect(
        delta('realtime_connections_total', { result: 'refused', reason: 'UNAUTHENTICATED' }),
      ).toBe(1);
      expect(
        delta('realtime_connections_total', { result: 'refused', reason: 'RATE_LIMITED' }),
      ).toBe(1);
      expect(delta('realtime_rate_limited_total', { limit: 'connections_per_user' })).toBe(1);
      expect(delta('realtime_events_total', { event: 'presence:join', outcome: 'ok' })).toBe(3);
      expect(
        delta('realtime_events_total', { event: 'presence:heartbeat', outcome: 'ok' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        delta('realtime_events_total', { event: 'metadata:set', outcome: 'REVISION_CONFLICT' }),
      ).toBe(1);
      expect(delta('realtime_events_total', { event: 'unknown', outcome: 'BAD_REQUEST' })).toBe(1);
      expect(
        delta('realtime_events_total', { event: 'presence:list', outcome: 'BAD_REQUEST' }),
      ).toBe(1);
      expect(delta('realtime_event_duration_seconds_count', { event: 'presence:join' })).toBe(3);
      expect(
        valueOf(after, 'realtime_event_duration_seconds_bucket', {
          event: 'presence:join',
          le: '+Inf',
        }),
      ).toBe(valueOf(after, 'realtime_event_duration_seconds_count', { event: 'presence:join' }));
      // joins of alice and the ghost, alice's update, the ghost's away and leave
      expect(
        delta('realtime_broadcasts_total', { event: 'presence:event' }),
      ).toBeGreaterThanOrEqual(5);
      expect(delta('realtime_heartbeat_batch_size_count')).toBeGreaterThanOrEqual(1);
      expect(delta('realtime_metadata_conflicts_total')).toBe(1);
      expect(valueOf(after, 'realtime_metadata_retries_total')).toBe(0);
      expect(delta('realtime_reaped_connections_total')).toBe(1);
      // gauges read at scrape time: watcher, alice and alice's second socket; one room
      expect(valueOf(after, 'realtime_connections')).toBe(3);
      expect(valueOf(after, 'realtime_rooms')).toBe(1);
      expect(valueOf(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    });

    it('never puts a user, room, connection or socket id in a label', () => {
      const ids = [
        USER,
        WATCHER,
        GHOST,
        ROOM,
        CONN,
        `${GHOST}-c`,
        'w-1',
        watcherSocketId,
        userSocketId,
      ];
      const leaked = after.samples.filter((s) =>
        Object.values(s.labels).some((v) => ids.some((id) => id !== undefined && v.includes(id))),
      );
      expect(leaked).toEqual([]);
      const realtimeLabels = new Set(
        after.samples
          .filter((s) => s.name.startsWith('realtime_'))
          .flatMap((s) => Object.keys(s.labels)),
      );
      expect([...realtimeLabels].sort()).toEqual([
        'event',
        'le',
        'limit',
        'outcome',
        'reason',
        'result',
      ]);
    });
  });

  it('exposes realtime_redis_up = 1 on the Redis engine', async () => {
    const scraped = await scrape(redisA);
    expect(scraped.types.get('realtime_redis_up')).toBe('gauge');
    expect(valueOf(scraped, 'realtime_redis_up')).toBe(1);
  });

  it('parses as Prometheus text on both engines', async () => {
    for (const app of [memory, redisA]) {
      const { text } = await getText(app.url, '/metrics');
      expect(() => parseMetrics(text)).not.toThrow();
    }
  });

  describe('health and stats', () => {
    it.each(['memory', 'redis'])(
      'answers /health/live and /health/ready 200 (%s)',
      async (engine) => {
        const app = engine === 'memory' ? memory : redisA;
        expect(await getJson(app.url, '/health/live')).toEqual({
          status: 200,
          body: { status: 'ok' },
        });
        expect(await getJson(app.url, '/health/ready')).toEqual({
          status: 200,
          body: { status: 'ok' },
        });
      },
    );

    it('reports this process in /stats: connections and rooms follow its own clients', async () => {
      const statsOf = async (app: AppProcess) => {
        const { status, body } = await getJson<Stats>(app.url, '/stats');
        expect(status).toBe(200);
        return body;
      };
      const [a0, b0] = await Promise.all([statsOf(redisA), statsOf(redisB)]);
      for (const s of [a0, b0]) {
        expect(s).toEqual({
          nodeId: expect.any(String),
          uptimeS: expect.any(Number),
          connections: expect.any(Number),
          rooms: expect.any(Number),
          memory: { rss: expect.any(Number), heapUsed: expect.any(Number) },
          eventLoopLagMs: expect.any(Number),
        });
        expect(s.nodeId.length).toBeGreaterThan(0);
        expect(s.uptimeS).toBeGreaterThanOrEqual(0);
        expect(s.memory.rss).toBeGreaterThan(0);
        expect(s.memory.heapUsed).toBeGreaterThan(0);
        expect(s.eventLoopLagMs).toBeGreaterThanOrEqual(0);
      }
      expect(a0.nodeId).not.toBe(b0.nodeId);

      const one = await openOn(redisA, 'stats-1');
      const two = await openOn(redisA, 'stats-2');
      await join(one, { roomId: 'stats-room-1' });
      await join(two, { roomId: 'stats-room-2' });
      await join(two, { roomId: 'stats-room-1' });
      // B sees the members through Redis, but they are not B's connections or rooms
      const onB = await openOn(redisB, 'stats-3');
      expect(
        (await requestOk<{ members: unknown[] }>(onB, 'presence:list', { roomId: 'stats-room-1' }))
          .members,
      ).toHaveLength(2);
      const [a1, b1] = await Promise.all([statsOf(redisA), statsOf(redisB)]);
      expect([a1.connections - a0.connections, a1.rooms - a0.rooms]).toEqual([2, 2]);
      expect([b1.connections - b0.connections, b1.rooms - b0.rooms]).toEqual([1, 0]);
      expect(a1.nodeId).toBe(a0.nodeId);

      await closeAndWait(one, two);
      const a2 = await statsOf(redisA);
      // the server may still be processing the closes: bounded re-read
      let settled = a2;
      for (
        let i = 0;
        i < 40 && (settled.connections !== a0.connections || settled.rooms !== a0.rooms);
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        settled = await statsOf(redisA);
      }
      expect([settled.connections, settled.rooms]).toEqual([a0.connections, a0.rooms]);
    });

    it('answers /health/ready 503 naming `running` from the first moment of a shutdown', async () => {
      const app = await AppProcess.start({
        env: { ...NO_RATE_LIMITS, SHUTDOWN_GRACE_MS: '1500', SHUTDOWN_RECONNECT_JITTER_MS: '0' },
      });
      const client = await connect(app.url, 'shutdown-watch');
      try {
        const notice = nextEvent(client, 'server:shutdown');
        const exited = app.kill('SIGTERM');
        await notice;
        const ready = await getJson<{ failing?: string[] }>(app.url, '/health/ready');
        expect(ready.status).toBe(503);
        expect(ready.body.failing).toEqual(['running']);
        expect((await getJson(app.url, '/health/live')).status).toBe(200);
        expect(await exited).toBe(0);
      } finally {
        client.close();
        await app.kill('SIGKILL');
      }
    });
  });

  describe('logs', () => {
    it('writes JSON lines, logs a refused handshake with its reason, and never a token or a state', async () => {
      const app = await AppProcess.start({ env: NO_RATE_LIMITS });
      try {
        const marker = `state-marker-${Date.now()}-x9q`;
        const token = await tokenFor('log-user');
        const socket = await connect(app.url, 'log-user', { token });
        sockets.push(socket);
        const session = await join(socket, {
          roomId: 'log-room',
          connId: 'log-conn',
          state: { secret: marker },
        });
        await heartbeat(socket, {
          roomId: 'log-room',
          connId: 'log-conn',
          epoch: session.epoch,
          statePatch: { more: `${marker}-patch` },
        });
        // invalid requests whose payloads carry the marker: refused without echoing it
        await request(socket, 'presence:join', { roomId: 'log-room', evil: marker });
        await request(socket, 'presence:heartbeat', {
          roomId: 'log-room',
          connId: 'log-conn',
          epoch: session.epoch,
          state: { secret: marker, big: 'x'.repeat(17_000) },
        });
        await request(socket, marker, { secret: marker });
        const badToken = `${await foreignToken('log-user')}`;
        expect((await refusal(app.url, { token: badToken })).message).toBe('UNAUTHENTICATED');
        const expired = await tokenFor('log-user', { expSec: -10 });
        expect((await refusal(app.url, { token: expired })).message).toBe('UNAUTHENTICATED');
        // the refusals are the last things logged: once both are there, so is everything before
        const logs = await untilLogged(
          app,
          (text) => text.split('\n').filter((l) => l.includes('handshake refused')).length >= 2,
        );
        const lines = jsonLines(logs);
        const refused = lines.filter((l) => JSON.stringify(l).includes('handshake refused'));
        expect(refused).toHaveLength(2);
        for (const line of refused) {
          expect(JSON.stringify(line)).toMatch(/UNAUTHENTICATED/);
          expect(JSON.stringify(line)).toMatch(/reason/);
        }
        expect(JSON.stringify(refused[1])).toMatch(/expired/i);
        for (const secret of [token, badToken, expired, marker]) {
          expect(logs.includes(secret)).toBe(false);
        }
        // the signature alone is secret too
        for (const t of [token, badToken, expired]) {
          expect(logs.includes(t.split('.')[2])).toBe(false);
        }
      } finally {
        await closeAndWait(...sockets.splice(0));
        await app.kill();
      }
    });
  });
});
