import type { LockEvent } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import { nextEvent, record, request, untilRecorded } from '../support/client.js';
import { adminClient, parseClientList, pollUntil } from '../support/fault.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import type { Redis } from 'ioredis';
import { acquire, errorOf, okData } from './metadata-helpers.js';
import { joinSeenBy } from './presence-helpers.js';
import { TestClients } from './test-clients.js';

describe('a lock release in doubt (Redis engine, two processes)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let a: AppProcess;
  let b: AppProcess;
  const clients = new TestClients();

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = await adminClient(redis);
    // Idle reapers: while Redis pauses writes, only the release under test waits there.
    const options = {
      redisUrl: redis.url,
      prefix: uniquePrefix(),
      env: { ...NO_RATE_LIMITS, REAPER_INTERVAL_MS: '600000' },
    };
    [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await admin?.quit();
    await redis?.stop();
  });

  /** The id of the one server connection whose script call Redis holds back. */
  async function heldScriptCall(): Promise<string> {
    return pollUntil('a script call waiting in Redis', async () => {
      const conns = parseClientList(String(await admin.client('LIST')));
      const held = conns.filter(
        (c) => c.name.startsWith('avalon:') && c.cmd.startsWith('eval') && c.flags.includes('b'),
      );
      return held.length === 1 ? held[0].id : undefined;
    });
  }

  it('after CLIENT KILL of the command connection is answered once and announced once', async () => {
    const aliceSocket = await clients.open(a.url, 'alice');
    const { channel, sockets } = await clients.roomWith(b.url, 'doubt-room', 'bob');
    await joinSeenBy(sockets[0], aliceSocket, { roomId: 'doubt-room', connId: 'alice-c' });
    const lockName = 'L';
    const granted = nextEvent<LockEvent>(sockets[0], 'lock:event', (e) => e.type === 'acquired');
    const grant = okData(await acquire(aliceSocket, { ...channel, lockName, ttlMs: 60_000 }));
    await granted; // the grant's event travels apart from the ack: record only after it
    const seen = record<LockEvent>(sockets[0], 'lock:event');

    await admin.client('PAUSE', 5000, 'WRITE');
    let releasing: ReturnType<typeof request>;
    try {
      releasing = request(aliceSocket, 'lock:release', { ...channel, lockName });
      await admin.client('KILL', 'ID', await heldScriptCall());
    } finally {
      await admin.client('UNPAUSE');
    }
    expect(await releasing).toEqual({ ok: true, data: { released: true } });
    errorOf(await request(aliceSocket, 'lock:release', { ...channel, lockName }), 'LOCK_NOT_HELD');
    // A later grant's event proves no second `released` came before it.
    const next = okData(await acquire(sockets[0], { ...channel, lockName, ttlMs: 5000 }));
    expect(next.token).toBeGreaterThan(grant.token);
    await untilRecorded(sockets[0], 'lock:event', seen, (e) =>
      e.some((x) => x.type === 'acquired'),
    );
    expect(seen.map((e) => [e.type, e.owner])).toEqual([
      ['released', 'alice'],
      ['acquired', 'bob'],
    ]);
  });
});
