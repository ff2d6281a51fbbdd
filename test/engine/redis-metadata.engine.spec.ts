import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Redis, type ChainableCommander } from 'ioredis';
import { AppError } from '../../src/common/errors/app-error.js';
import {
  channelDoneKey,
  channelKeys,
  lockExpiryKey,
  lockExpiryMember,
  parseLockExpiryMember,
} from '../../src/engine/redis/keys.js';
import { RedisMetadataEngine } from '../../src/engine/redis/redis-metadata.engine.js';
import { LOCK_SCRIPTS } from '../../src/engine/redis/scripts.js';
import { TransactionPool, type TransactionPoolOptions } from '../../src/redis/transaction-pool.js';
import { ServerTransactions } from '../../src/redis/transactions.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import {
  describeMetadataEngineContract,
  errorOf,
  LOCK_TTL_MS,
  MAX_LOCKS,
  room,
  setCmd,
} from './metadata-engine.contract.js';
import { describeMetadataHardening } from './metadata-hardening.contract.js';

let server: RedisServer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // Killed connections are expected here; their debug lines would bury the results.
  Logger.overrideLogger(['warn', 'error']);
  server = await RedisServer.start();
});
afterAll(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  await server.stop();
});

interface Setup {
  engine: RedisMetadataEngine;
  client: Redis;
  pool: TransactionPool;
  close: () => Promise<void>;
}

/** An engine on its own client and pool; engines made with the same prefix share storage. */
function engineOn(
  prefix: string,
  pool: Partial<TransactionPoolOptions> = {},
  maxRetries = 10,
): Setup {
  const client = new Redis(server.url, { protocol: 2, commandTimeout: 2000 });
  const txPool = new TransactionPool({
    url: server.url,
    size: 4,
    acquireTimeoutMs: 1000,
    commandTimeoutMs: 2000,
    name: 'test-tx',
    ...pool,
  });
  const engine = new RedisMetadataEngine(client, new ServerTransactions(txPool), {
    prefix,
    maxRetries,
    commandTimeoutMs: 2000,
  });
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await engine.close();
      await txPool.drain();
      await client.quit();
    }
  };
  closers.push(close);
  return { engine, client, pool: txPool, close };
}

function redisHarness() {
  const prefix = uniquePrefix();
  const { engine, client, close } = engineOn(prefix);
  return Promise.resolve({
    engine,
    advance: (ms: number) => sleep(ms),
    storedEntries: async () => (await client.keys(`${prefix}:*`)).length,
    cleanup: close,
  });
}

describeMetadataEngineContract('redis', redisHarness);
describeMetadataHardening('redis', redisHarness);

describe('metadata keys', () => {
  /** The part of a key Redis Cluster hashes: the first non-empty `{...}`, else the whole key. */
  function hashedPart(key: string): string {
    const open = key.indexOf('{');
    const close = open === -1 ? -1 : key.indexOf('}', open + 1);
    return close > open + 1 ? key.slice(open + 1, close) : key;
  }

  it('puts every key of a channel in the slot of its hash tag', () => {
    const keys = channelKeys('prs', room());
    expect(keys).toStrictEqual({
      meta: 'prs:{chan:room:r1}:meta',
      locks: 'prs:{chan:room:r1}:locks',
      fence: 'prs:{chan:room:r1}:fence',
    });
    const user = channelKeys('prs', { channelType: 'user', channelName: 'u:1' });
    expect(Object.values(user).map(hashedPart)).toStrictEqual([
      'chan:user:u:1',
      'chan:user:u:1',
      'chan:user:u:1',
    ]);
    expect(lockExpiryKey('prs')).toBe('prs:locks');
    const done = channelDoneKey('prs', { channelType: 'room', channelName: 'r:1' }, 'req-1');
    expect(done).toBe('prs:{chan:room:r:1}:done:req-1');
    expect(hashedPart(done)).toBe('chan:room:r:1');
  });

  it('encodes a lock index member unambiguously and parses it back', () => {
    const member = lockExpiryMember({ channelType: 'room', channelName: 'a:b' }, 'c');
    expect(member).toBe('["room","a:b","c"]');
    expect(parseLockExpiryMember(member)).toStrictEqual({
      channel: { channelType: 'room', channelName: 'a:b' },
      lockName: 'c',
    });
    for (const bad of ['nope', '["room","a"]', '["chan","a","b"]', '["room",1,"b"]']) {
      expect(parseLockExpiryMember(bad)).toBeUndefined();
    }
  });
});

describe('lock scripts', () => {
  const sources = LOCK_SCRIPTS.map((def) => ({ ...def, lua: readFileSync(def.file, 'utf8') }));

  it.each(sources)(
    '$name starts with #!lua and declares exactly its KEYS',
    ({ lua, numberOfKeys }) => {
      expect(lua.startsWith('#!lua')).toBe(true);
      const used = [...lua.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1]));
      expect(Math.max(...used)).toBe(numberOfKeys);
    },
  );

  it('all load at ready, and calls survive SCRIPT FLUSH', async () => {
    const { engine, client } = engineOn(uniquePrefix());
    await client.script('FLUSH');
    await engine.ready();
    const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
    const loaded = await client.script('EXISTS', ...sources.map(({ lua }) => sha1(lua)));
    expect(loaded).toStrictEqual(sources.map(() => 1));
    await client.script('FLUSH');
    await expect(engine.acquireLock(room(), 'L', 'u1', 1000, MAX_LOCKS)).resolves.toMatchObject({
      acquired: true,
    });
  });
});

describe('RedisMetadataEngine under concurrency and faults', () => {
  it('20 concurrent read-modify-write writers lose no update', async () => {
    const { engine } = engineOn(uniquePrefix(), { size: 4 });
    await engine.ready();
    await engine.write(setCmd([{ key: 'n', value: 0 }]));
    const revisions: number[] = [];
    let aborts = 0;
    const writer = async (author: string) => {
      for (let done = 0; done < 5;) {
        const item = (await engine.read(room())).items[0];
        try {
          const out = await engine.write(
            setCmd([{ key: 'n', value: Number(item.value) + 1, revision: item.revision }], {
              authorUserId: author,
            }),
          );
          aborts += out.attempts - 1;
          revisions.push(out.written[0].revision);
          done++;
        } catch (err) {
          if (!(err instanceof AppError) || !['REVISION_CONFLICT', 'BUSY'].includes(err.code)) {
            throw err;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer(`u${i}`)));
    const [item] = (await engine.read(room())).items;
    expect(item.value).toBe(100);
    expect(item.revision).toBe(101);
    expect(new Set(revisions).size).toBe(100);
    expect(aborts).toBeGreaterThanOrEqual(0);
  });

  it('retries an EXEC aborted by a concurrent change, then answers BUSY with nothing written', async () => {
    const prefix = uniquePrefix();
    const { engine, client, pool } = engineOn(prefix, { size: 1 }, 2);
    await engine.ready();
    const meta = channelKeys(prefix, room()).meta;
    // A real concurrent write lands between WATCH and EXEC of the next `spoil` EXECs.
    let spoil = 0;
    const spoiled = new WeakSet<Redis>();
    const use = pool.use.bind(pool);
    pool.use = (work) =>
      use((conn) => {
        if (!spoiled.has(conn.redis)) {
          spoiled.add(conn.redis);
          const multi = conn.redis.multi.bind(conn.redis) as () => ChainableCommander;
          conn.redis.multi = (() => {
            const tx = multi();
            const exec = tx.exec.bind(tx);
            tx.exec = async () => {
              if (spoil > 0) {
                spoil--;
                await client.hset(meta, 'spoil', Date.now());
              }
              return exec();
            };
            return tx;
          }) as Redis['multi'];
        }
        return work(conn);
      });
    spoil = 2;
    const out = await engine.write(setCmd([{ key: 'a', value: 1 }]));
    expect(out).toMatchObject({ attempts: 3, majorRevision: 1 });
    spoil = 3;
    const err = await errorOf(engine.write(setCmd([{ key: 'b', value: 1 }])));
    expect(err).toMatchObject({ code: 'BUSY' });
    expect(err.message).toMatch(/nothing written/);
    expect((await engine.read(room())).items.map((i) => i.key)).toStrictEqual(['a']);
  });

  it('answers BUSY, never hangs, when no pooled connection is free', async () => {
    const { engine, pool } = engineOn(uniquePrefix(), { size: 1, acquireTimeoutMs: 200 });
    await engine.ready();
    let release = () => {};
    const held = pool.use(() => new Promise<void>((resolve) => (release = resolve)));
    const started = Date.now();
    const err = await errorOf(engine.write(setCmd([{ key: 'a', value: 1 }])));
    expect(err.code).toBe('BUSY');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await engine.read(room())).toMatchObject({ majorRevision: 0 });
    release();
    await held;
    await expect(engine.write(setCmd([{ key: 'a', value: 1 }]))).resolves.toMatchObject({
      majorRevision: 1,
    });
  });

  it('loses no update and invents none while connections are killed', async () => {
    const { engine } = engineOn(uniquePrefix(), { size: 4 });
    await engine.ready();
    await engine.write(setCmd([{ key: 'n', value: 0 }]));
    const killer = new Redis(server.url, { protocol: 2 });
    closers.push(() => killer.quit().then(() => undefined));
    const until = Date.now() + 1500;
    let kills = 0;
    const killing = (async () => {
      while (Date.now() < until) {
        await sleep(40);
        kills += Number(await killer.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
      }
    })();
    const okRevisions: number[] = [];
    const failures: Record<string, number> = {};
    const writer = async (author: string) => {
      while (Date.now() < until) {
        try {
          const item = (await engine.read(room())).items[0];
          const out = await engine.write(
            setCmd([{ key: 'n', value: Number(item.value) + 1, revision: item.revision }], {
              authorUserId: author,
            }),
          );
          okRevisions.push(out.written[0].revision);
        } catch (err) {
          const code = err instanceof AppError ? err.code : String(err);
          failures[code] = (failures[code] ?? 0) + 1;
        }
      }
    };
    await Promise.all([killing, ...Array.from({ length: 10 }, (_, i) => writer(`u${i}`))]);
    const [item] = (await engine.read(room())).items;
    // Every committed increment was based on the value before it: none lost, none invented.
    expect(item.value).toBe(item.revision - 1);
    expect(new Set(okRevisions).size).toBe(okRevisions.length);
    expect(Number(item.value)).toBeGreaterThanOrEqual(okRevisions.length);
    expect(Number(item.value)).toBeLessThanOrEqual(
      okRevisions.length + (failures.UNAVAILABLE ?? 0),
    );
    expect(Object.keys(failures).sort()).toStrictEqual(
      Object.keys(failures)
        .filter((code) => ['BUSY', 'REVISION_CONFLICT', 'UNAVAILABLE'].includes(code))
        .sort(),
    );
    expect(kills).toBeGreaterThan(0);
    expect(okRevisions.length).toBeGreaterThan(10);
  });

  it('answers UNAVAILABLE when Redis does not answer in time', async () => {
    const { engine } = engineOn(uniquePrefix(), { commandTimeoutMs: 100 });
    await engine.ready();
    const paused = new Redis(server.url);
    closers.push(() => paused.quit().then(() => undefined));
    await paused.client('PAUSE', 400, 'ALL');
    const err = await errorOf(engine.write(setCmd([{ key: 'a', value: 1 }])));
    expect(err.code).toBe('UNAVAILABLE');
    await sleep(400);
    await expect(engine.write(setCmd([{ key: 'a', value: 2 }]))).resolves.toMatchObject({
      changed: true,
    });
  });

  it('keeps fencing tokens growing after Redis lost its data', async () => {
    const { engine, client } = engineOn(uniquePrefix());
    await engine.ready();
    const first = await engine.acquireLock(room(), 'L', 'u1', 60_000, MAX_LOCKS);
    await engine.releaseLock(room(), 'L', 'u1');
    const second = await engine.acquireLock(room(), 'L', 'u1', 60_000, MAX_LOCKS);
    expect(second.grant.token).toBeGreaterThan(first.grant.token);
    await sleep(5);
    await client.flushall();
    const third = await engine.acquireLock(room(), 'L', 'u2', 60_000, MAX_LOCKS);
    expect(third).toMatchObject({ acquired: true });
    expect(third.grant.token).toBeGreaterThan(second.grant.token);
  });

  it('reports each lapsed lock once when two engines sweep at once', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [engineOn(prefix).engine, engineOn(prefix).engine];
    await Promise.all([a.ready(), b.ready()]);
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) {
      await (i % 2 ? a : b).acquireLock(
        room(`r${i % 4}`),
        `L${i}`,
        `u${i % 3}`,
        LOCK_TTL_MS,
        MAX_LOCKS,
      );
      expected.push(`r${i % 4}:L${i}`);
    }
    await sleep(LOCK_TTL_MS + 50);
    const results = await Promise.all([a.sweepExpiredLocks(4), b.sweepExpiredLocks(4)]);
    results.push(...(await Promise.all([a.sweepExpiredLocks(20), b.sweepExpiredLocks(20)])));
    results.push(await a.sweepExpiredLocks(20));
    const swept = results
      .flat()
      .map(({ channel, lock }) => `${channel.channelName}:${lock.lockName}`);
    expect(swept.sort()).toStrictEqual(expected.sort());
  });

  it('sweeps a lock whose index entry is stale and keeps a renewed one indexed', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = engineOn(prefix);
    await engine.ready();
    await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
    // Simulates a renew whose index write has not landed yet: the entry says "lapsed".
    await engine.renewLock(room(), 'L', 'u1', 60_000);
    await client.zadd(lockExpiryKey(prefix), 1, lockExpiryMember(room(), 'L'));
    expect(await engine.sweepExpiredLocks(10)).toStrictEqual([]);
    const score = await client.zscore(lockExpiryKey(prefix), lockExpiryMember(room(), 'L'));
    expect(Number(score)).toBeGreaterThan(Date.now());
    expect(await engine.listLocks(room())).toHaveLength(1);
  });
});
