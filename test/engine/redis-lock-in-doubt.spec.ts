import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { channelDoneKey, channelKeys } from '../../src/engine/redis/keys.js';
import { DONE_LIFETIME_MS } from '../../src/engine/redis/redis-locks.js';
import { RedisMetadataEngine } from '../../src/engine/redis/redis-metadata.engine.js';
import { TransactionPool } from '../../src/redis/transaction-pool.js';
import { ServerTransactions } from '../../src/redis/transactions.js';
import { adminClient, parseClientList, pollUntil } from '../support/fault.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { errorOf, MAX_LOCKS, room } from './metadata-engine.contract.js';

let server: RedisServer;
let admin: Redis;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // Killed connections are expected here; their warnings would bury the results.
  Logger.overrideLogger(['error']);
  server = await RedisServer.start();
  admin = await adminClient(server);
});
afterAll(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  await admin.quit();
  await server.stop();
});

/**
 * An engine whose command client, like the server's, never resends a command whose reply
 * was lost: whether it ran is for the engine to find out.
 */
async function engineOn(prefix: string, deadlineMs = 5000) {
  const client = new Redis(server.url, {
    protocol: 2,
    // Short: a command lost with its connection is never answered, only timed out.
    commandTimeout: 1000,
    autoResendUnfulfilledCommands: false,
    connectionName: `in-doubt-${prefix}`,
  });
  client.on('error', () => {});
  const pool = new TransactionPool({
    url: server.url,
    size: 2,
    acquireTimeoutMs: 1000,
    commandTimeoutMs: 3000,
    name: 'in-doubt-tx',
  });
  const engine = new RedisMetadataEngine(client, new ServerTransactions(pool), {
    prefix,
    maxRetries: 3,
    commandTimeoutMs: deadlineMs,
  });
  closers.push(async () => {
    await pool.drain();
    client.disconnect();
  });
  await engine.ready();
  return { engine, client, id: Number(await client.client('ID')) };
}

describe('lock scripts run again with the same request id', () => {
  const prefix = uniquePrefix();
  const keys = channelKeys(prefix, room());
  const done = (id: string) => channelDoneKey(prefix, room(), id);

  beforeAll(async () => {
    await engineOn(prefix); // defines and loads the scripts on its client
  });

  /** Runs a script twice as one request, as a replay after a lost reply would. */
  async function twice(call: (client: Redis) => Promise<unknown>) {
    const { client } = await engineOn(prefix);
    return [await call(client), await call(client)];
  }

  it('answer their first reply and change nothing more', async () => {
    const acquire = (c: Redis) =>
      c.lockAcquire(keys.locks, keys.fence, done('a'), 'L', 'u1', 60_000, MAX_LOCKS, 60_000);
    const [first, again] = await twice(acquire);
    expect(first).toMatchObject(['OK', expect.any(Number), expect.any(Number), 1, '', '']);
    expect(again).toStrictEqual(first);

    const renew = (c: Redis) => c.lockRenew(keys.locks, done('b'), 'L', 'u1', 90_000, 60_000);
    const [renewed, renewedAgain] = await twice(renew);
    expect(renewedAgain).toStrictEqual(renewed);

    const release = (c: Redis) => c.lockRelease(keys.locks, done('c'), 'L', 'u1', 60_000);
    const [released, releasedAgain] = await twice(release);
    expect(released).toStrictEqual(['OK', (renewed as unknown[])[1]]);
    expect(releasedAgain).toStrictEqual(released);
    // A new request is a new question: the lock is no longer held.
    const { client } = await engineOn(prefix);
    const fresh = await client.lockRelease(keys.locks, done('d'), 'L', 'u1', 60_000);
    expect(fresh).toStrictEqual(['LOCK_NOT_HELD']);
  });

  it('store nothing for a refusal, and keep a reply for DONE_LIFETIME_MS', async () => {
    const { client } = await engineOn(prefix);
    await client.lockRelease(keys.locks, done('refused'), 'nope', 'u1', DONE_LIFETIME_MS);
    expect(await client.exists(done('refused'))).toBe(0);
    await client.lockAcquire(
      keys.locks,
      keys.fence,
      done('kept'),
      'K',
      'u1',
      5000,
      MAX_LOCKS,
      DONE_LIFETIME_MS,
    );
    const ttl = await client.pttl(done('kept'));
    expect(ttl).toBeGreaterThan(DONE_LIFETIME_MS - 5000);
    expect(ttl).toBeLessThanOrEqual(DONE_LIFETIME_MS);
  });
});

describe('a lock release whose connection is lost', () => {
  it('that already ran is answered once, as released, never a false LOCK_NOT_HELD', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = await engineOn(prefix);
    const grant = await engine.acquireLock(room(), 'L', 'u1', 60_000, MAX_LOCKS);
    // The reply waits unread in the socket; the connection drops once the script ran.
    client.stream.pause();
    const releasing = engine.releaseLock(room(), 'L', 'u1');
    await pollUntil('the release ran', async () =>
      (await admin.hexists(channelKeys(prefix, room()).locks, 'L')) === 0 ? true : undefined,
    );
    client.stream.destroy();
    await expect(releasing).resolves.toStrictEqual({
      lockName: 'L',
      owner: 'u1',
      expiresAt: grant.grant.expiresAt,
    });
    expect((await errorOf(engine.releaseLock(room(), 'L', 'u1'))).code).toBe('LOCK_NOT_HELD');
    expect(await engine.listLocks(room())).toStrictEqual([]);
  });

  it('held by CLIENT PAUSE and killed runs once after the reconnect', async () => {
    const prefix = uniquePrefix();
    const { engine, id } = await engineOn(prefix);
    const grant = await engine.acquireLock(room(), 'L', 'u1', 60_000, MAX_LOCKS);
    await admin.client('PAUSE', 5000, 'WRITE');
    try {
      const releasing = engine.releaseLock(room(), 'L', 'u1');
      await pollUntil('the release waits in Redis', async () => {
        const conns = parseClientList(String(await admin.client('LIST')));
        const mine = conns.find((conn) => Number(conn.id) === id);
        return mine?.cmd.startsWith('eval') && mine.flags.includes('b') ? true : undefined;
      });
      await admin.client('KILL', 'ID', String(id));
      await admin.client('UNPAUSE');
      await expect(releasing).resolves.toStrictEqual({
        lockName: 'L',
        owner: 'u1',
        expiresAt: grant.grant.expiresAt,
      });
    } finally {
      await admin.client('UNPAUSE');
    }
    expect((await errorOf(engine.releaseLock(room(), 'L', 'u1'))).code).toBe('LOCK_NOT_HELD');
    const next = await engine.acquireLock(room(), 'L', 'u2', 60_000, MAX_LOCKS);
    expect(next.grant.token).toBeGreaterThan(grant.grant.token);
  });

  it('is not sent again once its caller was answered UNAVAILABLE', async () => {
    const prefix = uniquePrefix();
    const { engine, client, id } = await engineOn(prefix, 300);
    const grant = await engine.acquireLock(room(), 'L', 'u1', 60_000, MAX_LOCKS);
    await admin.client('PAUSE', 5000, 'WRITE');
    try {
      const releasing = engine.releaseLock(room(), 'L', 'u1');
      expect((await errorOf(releasing)).code).toBe('UNAVAILABLE');
      const reconnected = new Promise((resolve) => client.once('ready', resolve));
      await admin.client('KILL', 'ID', String(id));
      await admin.client('UNPAUSE');
      await reconnected;
    } finally {
      await admin.client('UNPAUSE');
    }
    // The killed run never ran; a replay now would release unannounced. The lock stays.
    expect(await engine.listLocks(room())).toStrictEqual([
      { lockName: 'L', owner: 'u1', expiresAt: grant.grant.expiresAt },
    ]);
  });

  it('an acquire whose reply was lost is granted once, with one token', async () => {
    const prefix = uniquePrefix();
    const { engine, client } = await engineOn(prefix);
    client.stream.pause();
    const acquiring = engine.acquireLock(room(), 'L', 'u1', 60_000, MAX_LOCKS);
    await pollUntil('the acquire ran', async () =>
      (await admin.hexists(channelKeys(prefix, room()).locks, 'L')) === 1 ? true : undefined,
    );
    client.stream.destroy();
    const grant = await acquiring;
    expect(grant.acquired).toBe(true);
    const stored = JSON.parse(
      (await admin.hget(channelKeys(prefix, room()).locks, 'L')) ?? '{}',
    ) as { token: number };
    expect(stored.token).toBe(grant.grant.token);
  });
});
