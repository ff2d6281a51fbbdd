import { once } from 'node:events';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppError } from '../../src/common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import { TransactionPool, type TransactionPoolOptions } from '../../src/redis/transaction-pool.js';
import { freePort, RedisServer, uniquePrefix } from '../support/redis-server.js';

let server: RedisServer;
let admin: Redis;
const pools: TransactionPool[] = [];

beforeAll(async () => {
  // Killed connections are expected here; their debug lines would bury the results.
  Logger.overrideLogger(['warn', 'error']);
  server = await RedisServer.start();
  admin = new Redis(server.url, { protocol: 2 });
});
afterAll(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.drain()));
  await admin.quit();
  await server.stop();
});

function poolOf(over: Partial<TransactionPoolOptions> = {}): TransactionPool {
  const pool = new TransactionPool({
    url: server.url,
    size: 2,
    acquireTimeoutMs: 500,
    commandTimeoutMs: 1000,
    name: `tx-${uniquePrefix()}`,
    ...over,
  });
  pools.push(pool);
  return pool;
}

const clientId = (pool: TransactionPool): Promise<number> =>
  pool.use(async (conn) => Number(await conn.redis.client('ID')));

describe('TransactionPool', () => {
  it('runs work on named connections of its own, with resend and offline queue off', async () => {
    const pool = poolOf({ name: 'tx-named' });
    // Each piece of work holds its connection until both have one: two at once, not one
    // connection used twice (a fast first piece would otherwise hand it back in time).
    let started = 0;
    let bothStarted: () => void = () => {};
    const both = new Promise<void>((resolve) => (bothStarted = resolve));
    const seen = await Promise.all(
      [1, 2].map(() =>
        pool.use(async (conn) => {
          if (++started === 2) {
            bothStarted();
          }
          await both;
          const { options } = conn.redis;
          expect(options).toMatchObject({
            protocol: 2,
            enableOfflineQueue: false,
            autoResendUnfulfilledCommands: false,
            commandTimeout: 1000,
          });
          const id = Number(await conn.redis.client('ID'));
          expect(await conn.redis.client('GETNAME')).toBe('tx-named');
          return id;
        }),
      ),
    );
    expect(new Set(seen).size).toBe(2);
  });

  it('reuses a connection that came back clean', async () => {
    const pool = poolOf({ size: 1 });
    expect(await clientId(pool)).toBe(await clientId(pool));
  });

  it('UNWATCHes a WATCH left open before the connection is reused', async () => {
    const pool = poolOf({ size: 1 });
    const key = `${uniquePrefix()}:k`;
    const failed = pool.use(async (conn) => {
      conn.watching();
      await conn.redis.watch(key);
      throw new AppError(ErrorCode.REVISION_CONFLICT, 'planned refusal');
    });
    await expect(failed).rejects.toMatchObject({ code: 'REVISION_CONFLICT' });
    await admin.set(key, 'changed by someone else');
    // Were the WATCH still open, this EXEC would abort (null).
    const replies = await pool.use((conn) => conn.redis.multi().set(key, 'mine').exec());
    expect(replies).toStrictEqual([[null, 'OK']]);
  });

  it('destroys a connection whose work failed with anything but an AppError', async () => {
    const pool = poolOf({ size: 1 });
    const before = await clientId(pool);
    await expect(pool.use(() => Promise.reject(new Error('storage trouble')))).rejects.toThrow(
      'storage trouble',
    );
    expect(await clientId(pool)).not.toBe(before);
  });

  it('tells a dropped connection from the one that carried the WATCH, and replaces it', async () => {
    const pool = poolOf({ size: 1 });
    let before = 0;
    const intact = await pool.use(async (conn) => {
      before = Number(await conn.redis.client('ID'));
      const generation = conn.watching();
      await conn.redis.watch(`${uniquePrefix()}:k`);
      expect(conn.intact(generation)).toBe(true);
      const ended = once(conn.redis, 'end');
      await admin.client('KILL', 'ID', String(before));
      await ended;
      return conn.intact(generation);
    });
    expect(intact).toBe(false);
    expect(await clientId(pool)).not.toBe(before);
  });

  it('answers BUSY after the acquire timeout when every connection is taken', async () => {
    const pool = poolOf({ size: 1, acquireTimeoutMs: 150 });
    let release = () => {};
    const held = pool.use(() => new Promise<void>((resolve) => (release = resolve)));
    const started = Date.now();
    await expect(clientId(pool)).rejects.toMatchObject({
      code: 'BUSY',
      message: 'storage busy: no connection free',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    release();
    await held;
    await expect(clientId(pool)).resolves.toBeGreaterThan(0);
  });

  it('answers UNAVAILABLE, not BUSY, when no connection can be opened', async () => {
    const pool = poolOf({ url: `redis://127.0.0.1:${await freePort()}`, acquireTimeoutMs: 300 });
    await expect(clientId(pool)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('drain closes every connection', async () => {
    const name = `tx-drain-${Date.now()}`;
    const pool = poolOf({ name });
    await Promise.all([clientId(pool), clientId(pool)]);
    const named = async () =>
      String(await admin.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=${name} `)).length;
    expect(await named()).toBe(2);
    pools.splice(pools.indexOf(pool), 1);
    await pool.drain();
    for (let i = 0; i < 50 && (await named()) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await named()).toBe(0);
  });
});
