import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { gameDeadlinesKey, gameKeys, gameTurnMember } from '../../src/engine/redis/keys.js';
import { RedisGameStore } from '../../src/engine/redis/redis-game.store.js';
import { pollUntil } from '../support/fault.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { describeGameStoreContract, lobbyAt, TURN_MS } from './game-store.contract.js';

let server: RedisServer;

beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server.stop();
});

/** Two stores on their own clients and one prefix: two processes sharing one Redis. */
function storesOn(prefix: string) {
  const clients = [0, 1].map(() => new Redis(server.url, { protocol: 2, commandTimeout: 2000 }));
  const [store, other] = clients.map(
    (client) => new RedisGameStore(client, { prefix, commandTimeoutMs: 2000 }),
  );
  return {
    store,
    other,
    clients,
    cleanup: async () => void (await Promise.all(clients.map((c) => c.quit()))),
  };
}

describeGameStoreContract('redis', async () => {
  const { store, other, cleanup } = storesOn(uniquePrefix());
  await store.ready();
  // Redis keeps time itself: the only way to let time pass is to wait.
  return { store, other, advance: (ms: number) => sleep(ms), cleanup };
});

describe('redis game store: the deadline index', () => {
  it('re-lists a turn its writer never listed exactly (killed between the two writes)', async () => {
    const prefix = uniquePrefix();
    const { store, clients, cleanup } = storesOn(prefix);
    try {
      await store.write(
        'r1',
        undefined,
        { ...lobbyAt(1), phase: 'proposing', leader: 'alice' },
        {
          turnMs: 60_000,
          retentionMs: 60_000,
        },
      );
      // As if only the early listing had happened: the turn is listed before its deadline.
      const member = gameTurnMember('r1', 1);
      await clients[0].zadd(gameDeadlinesKey(prefix), 0, member);
      expect((await store.due(10)).turns).toEqual([{ roomId: 'r1', version: 1 }]);
      const stored = await store.read('r1');
      await store.schedule({ roomId: 'r1', version: 1 }, stored?.deadline ?? 0);
      expect((await store.due(10)).turns).toEqual([]);
      expect(Number(await clients[0].zscore(gameDeadlinesKey(prefix), member))).toBe(
        stored?.deadline,
      );
      await store.forget({ roomId: 'r1', version: 1 });
      expect(await clients[0].zcard(gameDeadlinesKey(prefix))).toBe(0);
    } finally {
      await cleanup();
    }
  });

  it('keeps a game whole in one hash of its room slot, with a time to live', async () => {
    const prefix = uniquePrefix();
    const { store, clients, cleanup } = storesOn(prefix);
    try {
      await store.write('r1', undefined, lobbyAt(1), { turnMs: 0, retentionMs: TURN_MS * 100 });
      const keys = (await clients[0].keys(`${prefix}:*`)).sort();
      expect(keys).toEqual([
        `${prefix}:{room:r1}:game`,
        expect.stringMatching(/:\{room:r1\}:game:done:/),
      ]);
      const ttl = await clients[0].pttl(`${prefix}:{room:r1}:game`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(TURN_MS * 100);
    } finally {
      await cleanup();
    }
  });
});

describe('redis game store: a write whose reply was lost', () => {
  it('answers written, as the first time, never a false conflict; a new write is a new question', async () => {
    const prefix = uniquePrefix();
    // Like the server's command client: a command lost with its connection is never resent
    // by ioredis, only timed out; the store sends it again with the same request id.
    const client = new Redis(server.url, {
      protocol: 2,
      commandTimeout: 1000,
      autoResendUnfulfilledCommands: false,
    });
    client.on('error', () => {});
    const reader = new Redis(server.url);
    const store = new RedisGameStore(client, { prefix, commandTimeoutMs: 5000 });
    const long = { turnMs: 0, retentionMs: 60_000 };
    try {
      await store.ready();
      await store.write('r1', undefined, lobbyAt(1), long);
      // The reply waits unread in the socket; the connection drops once the script ran.
      client.stream.pause();
      const writing = store.write('r1', 1, lobbyAt(2), long);
      await pollUntil('the write ran', async () =>
        (await reader.hget(gameKeys(prefix, 'r1').game, 'version')) === '2' ? true : undefined,
      );
      client.stream.destroy();
      await expect(writing).resolves.toBe(true);
      expect(await store.write('r1', 1, lobbyAt(2), long)).toBe(false);
      expect((await store.read('r1'))?.state).toEqual(lobbyAt(2));
    } finally {
      client.disconnect();
      reader.disconnect();
    }
  });
});
