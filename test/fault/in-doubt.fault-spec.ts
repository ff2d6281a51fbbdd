import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../src/config/app-config.js';
import type { JoinCommand } from '../../src/engine/presence.engine.js';
import { RedisPresenceEngine } from '../../src/engine/redis/redis-presence.engine.js';
import { PRESENCE_SCRIPTS } from '../../src/engine/redis/scripts.js';
import { RedisConnections } from '../../src/redis/redis-connections.js';
import { withIncludes } from '../../src/redis/script-registry.js';
import { adminClient, parseClientList, pollUntil } from '../support/fault.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { ReplyCutter } from '../support/reply-cutter.js';

const COMMAND_TIMEOUT_MS = 2000;
const TTL_MS = 300;

/** What a script call carries on the wire: its SHA (EVALSHA) or its first line (EVAL). */
function markersOf(name: string): string[] {
  const def = PRESENCE_SCRIPTS.find((script) => script.name === name);
  const lua = withIncludes(def!.file);
  return [createHash('sha1').update(lua).digest('hex'), lua.split('\n')[1]];
}

/** The production clients (no offline queue, no resend) with a short deadline. */
function connectionsTo(url: string): RedisConnections {
  const config = new AppConfig(
    new ConfigService({
      REDIS_COMMAND_TIMEOUT_MS: COMMAND_TIMEOUT_MS,
      REDIS_POOL_SIZE: 1,
      REDIS_POOL_ACQUIRE_TIMEOUT_MS: 1000,
    }),
  );
  return new RedisConnections({ url }, config);
}

const joinCmd = (over: Partial<JoinCommand>): JoinCommand => ({
  roomId: 'r1',
  connId: 'c1',
  userId: 'u1',
  node: 'n1',
  ttlMs: 60_000,
  maxMembers: 10,
  maxConnsPerUser: 10,
  ...over,
});

describe('in-doubt presence writes (real redis-server, production command client)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let cutter: ReplyCutter;
  let connections: RedisConnections;
  let engine: RedisPresenceEngine;

  beforeAll(async () => {
    redis = await RedisServer.start({ persistent: true });
    admin = await adminClient(redis);
  });
  afterAll(async () => {
    await admin.quit();
    await redis.stop();
  });
  beforeEach(async () => {
    cutter = await ReplyCutter.start(redis.port);
    connections = connectionsTo(cutter.url);
    engine = new RedisPresenceEngine(connections.command, {
      prefix: uniquePrefix(),
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    await pollUntil('engine ready', () => engine.ready().then(() => true));
  });
  afterEach(async () => {
    await engine.close();
    await connections.close();
    await cutter.stop();
  });

  it('reports a leave whose reply was lost once, and a second leave finds it absent', async () => {
    await engine.join(joinCmd({}));
    await engine.join(joinCmd({ connId: 'c2' }));
    cutter.armFor(...markersOf('presenceLeave'));
    const removed = await engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' });
    expect(cutter.cut).toBe(1);
    expect(removed).toMatchObject({ member: { connId: 'c1' }, userGone: false });
    expect(await engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' })).toBeUndefined();
    expect((await engine.list('r1')).map((m) => m.connId)).toStrictEqual(['c2']);
  });

  it('reports each connection a sweep removed once, although its reply was lost', async () => {
    await engine.join(joinCmd({ ttlMs: TTL_MS }));
    await engine.join(joinCmd({ connId: 'c2', userId: 'u2', ttlMs: TTL_MS }));
    await engine.join(joinCmd({ roomId: 'r2', connId: 'c3', ttlMs: TTL_MS }));
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 50));
    cutter.armFor(...markersOf('presenceSweep'));
    const { removed } = await engine.sweepExpired(10);
    expect(cutter.cut).toBe(1);
    const summary = removed.map((r) => [r.roomId, r.member.connId, r.roomEmpty]);
    expect(summary.sort()).toStrictEqual([
      ['r1', 'c1', false],
      ['r1', 'c2', true],
      ['r2', 'c3', true],
    ]);
    expect((await engine.sweepExpired(10)).removed).toStrictEqual([]);
  });

  it('reports a state change whose reply was lost once, in a heartbeat batch', async () => {
    const { epoch } = await engine.join(joinCmd({ state: { n: 0 } }));
    const beat = { roomId: 'r1', connId: 'c1', userId: 'u1', epoch, ttlMs: 60_000 };
    cutter.armFor(...markersOf('presenceHeartbeat'));
    const [outcome] = await engine.heartbeatMany([{ ...beat, ops: [{ statePatch: { n: 1 } }] }]);
    expect(cutter.cut).toBe(1);
    expect(outcome).toMatchObject({ changed: true, member: { state: { n: 1 } } });
    expect((await engine.list('r1'))[0].state).toStrictEqual({ n: 1 });
  });

  it('answers every heartbeat of a room refresh whose reply was lost, each its own', async () => {
    const one = await engine.join(joinCmd({ state: { n: 1 } }));
    const two = await engine.join(joinCmd({ connId: 'c2', userId: 'u2' }));
    const beat = { roomId: 'r1', connId: 'c1', userId: 'u1', ttlMs: 60_000, ops: [] };
    cutter.armFor(...markersOf('presenceHeartbeatBatch'));
    const results = await engine.heartbeatMany([
      { ...beat, epoch: one.epoch },
      { ...beat, connId: 'c2', userId: 'u2', epoch: two.epoch - 1 },
    ]);
    expect(cutter.cut).toBe(1);
    expect(results[0]).toMatchObject({ changed: false, member: { state: { n: 1 } } });
    expect(results[1]).toMatchObject({ code: 'STALE_EPOCH' });
  });

  it('answers a join whose reply was lost as the first join it was, not a resume', async () => {
    await engine.join(joinCmd({ connId: 'c0', userId: 'u0' }));
    cutter.armFor(...markersOf('presenceJoin'));
    const joined = await engine.join(joinCmd({}));
    expect(cutter.cut).toBe(1);
    expect(joined).toMatchObject({ resumed: false, member: { connId: 'c1' } });
    expect(joined.members.map((m) => m.connId)).toStrictEqual(['c0', 'c1']);
  });

  it('reports a mark-away whose reply was lost once', async () => {
    const { epoch } = await engine.join(joinCmd({}));
    cutter.armFor(...markersOf('presenceMarkAway'));
    const away = await engine.markAway({ roomId: 'r1', connId: 'c1', userId: 'u1', epoch });
    expect(cutter.cut).toBe(1);
    expect(away).toMatchObject({ connId: 'c1', status: 'away' });
  });

  it('runs a leave once when CLIENT KILL drops the connection it waits on', async () => {
    await engine.join(joinCmd({}));
    await admin.client('PAUSE', 2000, 'WRITE');
    const leaving = engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' });
    const id = await pollUntil('the leave waits on Redis', async () => {
      const clients = parseClientList(String(await admin.client('LIST')));
      // Postponed by the pause: flag b (blocked).
      return clients.find((c) => c.name.startsWith('avalon:') && c.flags.includes('b'))?.id;
    });
    await admin.client('KILL', 'ID', id);
    await admin.client('UNPAUSE');
    expect(await leaving).toMatchObject({ member: { connId: 'c1' }, userGone: true });
    expect(await engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' })).toBeUndefined();
  });

  it('never runs a write after its caller was answered UNAVAILABLE', async () => {
    await engine.join(joinCmd({}));
    await redis.halt();
    const leaving = engine.leave({ roomId: 'r1', connId: 'c1', userId: 'u1' });
    await expect(leaving).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const back = new Promise((resolve) => connections.command.once('ready', resolve));
    await redis.launch();
    await back;
    // A leave queued or resent on reconnect would run before this read on the same client.
    expect((await engine.list('r1')).map((m) => m.connId)).toStrictEqual(['c1']);
  });
});
