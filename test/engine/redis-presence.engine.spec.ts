import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { StateOp } from '../../src/engine/presence.engine.js';
import { activeRoomsKey, presenceKeyList } from '../../src/engine/redis/keys.js';
import { RedisPresenceEngine } from '../../src/engine/redis/redis-presence.engine.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import {
  describePresenceEngineContract,
  TTL_MS,
  type EngineHarness,
} from './presence-engine.contract.js';
import { describePresenceIdentifiers } from './presence-identifiers.contract.js';

let server: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit()));
  await server.stop();
});

/** An engine on its own client; engines made with the same prefix share storage. */
function engineOn(prefix: string): { engine: RedisPresenceEngine; client: Redis } {
  const client = new Redis(server.url, { commandTimeout: 2000, lazyConnect: false });
  clients.push(client);
  return { engine: new RedisPresenceEngine(client, { prefix, commandTimeoutMs: 2000 }), client };
}

/** Calls per command from INFO commandstats (`cmdstat_<name>:calls=<n>,...`). */
function commandCalls(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const [, name, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(name, Number(count));
  }
  return calls;
}

function redisHarness(): Promise<EngineHarness> {
  const { engine, client } = engineOn(uniquePrefix());
  return Promise.resolve({
    engine,
    advance: (ms: number) => sleep(ms),
    cleanup: async () => {
      clients.splice(clients.indexOf(client), 1);
      await client.quit();
    },
  });
}

describePresenceEngineContract('redis', redisHarness);
describePresenceIdentifiers('redis', redisHarness);

describe('RedisPresenceEngine across processes', () => {
  const join = { roomId: 'r1', node: 'n1', ttlMs: TTL_MS, maxMembers: 10, maxConnsPerUser: 10 };

  it('reports each expired connection once when two engines sweep at once', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [engineOn(prefix).engine, engineOn(prefix).engine];
    await Promise.all([a.ready(), b.ready()]);
    for (let i = 0; i < 20; i++) {
      await a.join({ ...join, roomId: `r${i % 4}`, connId: `c${i}`, userId: `u${i % 3}` });
    }
    await sleep(TTL_MS + 50);
    const results = await Promise.all([a.sweepExpired(2), b.sweepExpired(2)]);
    results.push(await a.sweepExpired(10), await b.sweepExpired(10));
    const removed = results.flatMap((r) => r.removed.map((m) => m.member.connId));
    expect(removed.sort()).toStrictEqual(Array.from({ length: 20 }, (_, i) => `c${i}`).sort());
  });

  it('applies ops to the stored state when another engine changed it', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [engineOn(prefix).engine, engineOn(prefix).engine];
    const joined = await a.join({ ...join, connId: 'c1', userId: 'u1', state: { a: 1 } });
    const beat = { roomId: 'r1', connId: 'c1', userId: 'u1', epoch: joined.epoch, ttlMs: TTL_MS };
    const fromB = await b.heartbeat({ ...beat, ops: [{ statePatch: { b: 2 } }] });
    expect(fromB.member.state).toStrictEqual({ a: 1, b: 2 });
    const fromA = await a.heartbeat({ ...beat, ops: [{ statePatch: { c: 3 } }] });
    expect(fromA).toMatchObject({ changed: true, member: { state: { a: 1, b: 2, c: 3 } } });
    const readOnly = await b.heartbeat({ ...beat, ops: [] });
    expect(readOnly.member.state).toStrictEqual({ a: 1, b: 2, c: 3 });
  });

  it('finds a room again after its active-set entry was lost', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = engineOn(prefix);
    await engine.join({ ...join, connId: 'c1', userId: 'u1' });
    await client.del(activeRoomsKey(prefix));
    await sleep(TTL_MS + 50);
    let removed = 0;
    for (let i = 0; i < 100 && removed === 0; i++) {
      removed = (await engine.sweepExpired(10)).removed.length;
    }
    expect(removed).toBe(1);
  });

  it('lets an abandoned room expire from Redis with no process sweeping it', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = engineOn(prefix);
    const keys = presenceKeyList(prefix, 'r1');
    const { epoch } = await engine.join({ ...join, connId: 'c1', userId: 'u1' });
    await engine.heartbeat({
      roomId: 'r1',
      connId: 'c1',
      userId: 'u1',
      epoch,
      ttlMs: TTL_MS,
      ops: [],
    });
    const ttls = await Promise.all(keys.map((key) => client.pttl(key)));
    ttls.forEach((ttl) => expect(ttl).toBeGreaterThan(TTL_MS));
    await sleep(3 * TTL_MS);
    expect(await client.exists(...keys)).toBe(0);
  });

  it('keeps room keys past the expiry of its longest-lived member', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = engineOn(prefix);
    await engine.join({ ...join, connId: 'long', userId: 'u1', ttlMs: 60_000 });
    await engine.join({ ...join, connId: 'short', userId: 'u2' });
    const ttls = await Promise.all(presenceKeyList(prefix, 'r1').map((key) => client.pttl(key)));
    ttls.forEach((ttl) => expect(ttl).toBeGreaterThan(60_000));
  });

  it('runs an unchanged heartbeat as six commands, room expiry pushed only when due', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = engineOn(prefix);
    await engine.ready();
    const ttlMs = 60_000; // long: no expiry on a loaded machine between the calls
    const joined = { ...join, connId: 'c1', userId: 'u1', ttlMs };
    const { epoch } = await engine.join(joined);
    const cmd = { roomId: 'r1', connId: 'c1', userId: 'u1', epoch, ttlMs, ops: [] };
    await engine.heartbeat(cmd);
    await client.config('RESETSTAT');
    await engine.heartbeat(cmd);
    const calls = commandCalls(String(await client.info('commandstats')));
    ['config|resetstat', 'info'].forEach((admin) => calls.delete(admin));
    const expected = { evalsha: 1, time: 1, hget: 1, zscore: 1, hset: 1, zadd: 1, pttl: 1 };
    expect(Object.fromEntries(calls)).toStrictEqual(expected);
    const ttls = await Promise.all(presenceKeyList(prefix, 'r1').map((key) => client.pttl(key)));
    ttls.forEach((ttl) => expect(ttl).toBeGreaterThan(2 * ttlMs - 1000));
  });

  it('refreshes a batch with one call per room; a state change takes its own call', async () => {
    const { engine, client } = engineOn(uniquePrefix());
    await engine.ready();
    const beats = [];
    for (let i = 0; i < 30; i++) {
      const cmd = { ...join, roomId: `r${i % 3}`, connId: `c${i}`, userId: `u${i}`, ttlMs: 60_000 };
      const { epoch } = await engine.join({ ...cmd, state: { i } });
      beats.push({ ...cmd, epoch, ops: [] as StateOp[] });
    }
    beats[0].ops = [{ statePatch: { changed: true } }];
    beats[1].ops = [{ statePatch: { i: 1 } }];
    await client.config('RESETSTAT');
    const results = await engine.heartbeatMany(beats);
    const calls = commandCalls(String(await client.info('commandstats')));
    expect(results.map((r) => !(r instanceof Error) && r.changed)).toStrictEqual(
      beats.map((_, i) => i === 0),
    );
    // ioredis sends a script's first call in a pipeline as EVAL, later ones as EVALSHA.
    expect((calls.get('eval') ?? 0) + (calls.get('evalsha') ?? 0)).toBe(3 + 2);
    expect(calls.get('time')).toBe(3 + 2);
    expect(calls.get('hmget')).toBe(3);
    expect(calls.get('zadd')).toBe(3 + 2);
    expect(calls.get('hget')).toBe(2); // the meta of the two with ops: no state is read
    // The two with ops rewrite their meta (one also its state); the batches rewrite none.
    expect(calls.get('hset')).toBe(3);
  });

  it('refreshes a meta stored without its TTL (previous version) and reads it back', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = engineOn(prefix);
    await engine.ready();
    const joined = await engine.join({ ...join, connId: 'c1', userId: 'u1', ttlMs: 60_000 });
    const [conns] = presenceKeyList(prefix, 'r1');
    const meta = JSON.parse(String(await client.hget(conns, 'c1'))) as Record<string, unknown>;
    delete meta.t;
    await client.hset(conns, 'c1', JSON.stringify(meta));
    expect((await engine.list('r1'))[0].lastSeenAt).toBe(joined.member.lastSeenAt);
    await sleep(5); // a later millisecond on the Redis clock, which cannot be faked
    const beat = { roomId: 'r1', connId: 'c1', userId: 'u1', ttlMs: 60_000, ops: [] };
    const [beaten] = await engine.heartbeatMany([{ ...beat, epoch: joined.epoch }]);
    const { lastSeenAt } = (beaten as { member: { lastSeenAt: number } }).member;
    expect(lastSeenAt).toBeGreaterThan(joined.member.lastSeenAt);
    expect((await engine.list('r1'))[0].lastSeenAt).toBe(lastSeenAt);
  });

  it('returns the stored state to an engine that has not seen it, without rewriting it', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [engineOn(prefix).engine, engineOn(prefix).engine];
    const one = await a.join({ ...join, connId: 'c1', userId: 'u1', state: { x: [1] } });
    const two = await a.join({ ...join, roomId: 'r2', connId: 'c2', userId: 'u2' });
    const beat = { roomId: 'r1', connId: 'c1', userId: 'u1', ttlMs: TTL_MS, ops: [] };
    const results = await b.heartbeatMany([
      { ...beat, epoch: one.epoch },
      { ...beat, roomId: 'r2', connId: 'c2', userId: 'u2', epoch: two.epoch },
    ]);
    expect(results).toMatchObject([
      { changed: false, member: { state: { x: [1] } } },
      { changed: false, member: { state: {} } },
    ]);
    expect((await a.list('r1'))[0].state).toStrictEqual({ x: [1] });
  });

  it('answers UNAVAILABLE when Redis does not answer in time', async () => {
    const client = new Redis(server.url, { commandTimeout: 50 });
    clients.push(client);
    const engine = new RedisPresenceEngine(client, {
      prefix: uniquePrefix(),
      commandTimeoutMs: 50,
    });
    await engine.ready();
    const paused = new Redis(server.url);
    await paused.client('PAUSE', 200, 'ALL');
    await expect(engine.list('r1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await paused.quit();
    await sleep(200);
  });
});
