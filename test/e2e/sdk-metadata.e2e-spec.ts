import type { Socket } from 'socket.io-client';
import {
  ChannelMetadataClient,
  RealtimeError,
  type ChannelLock,
  type ChannelRef,
  type JsonValue,
  type LockEvent,
  type MetadataChange,
  type MetadataItem,
} from '@avalon-realtime/client';
import { AppProcess } from '../support/app.js';
import { dropTransport, requestOk, type TestSocket } from '../support/client.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { SocketLink } from '../support/socket-link.js';
import { roomCh, userCh } from './metadata-helpers.js';
import { TestClients } from './test-clients.js';

/** The one place a suite makes its metadata clients (RealtimeClient.metadata() later). */
const metadataFor = (socket: TestSocket, ref: ChannelRef, options = {}) =>
  new ChannelMetadataClient(new SocketLink(socket), ref, options);

/** The next `event` the metadata client (or lock) emits that matches `predicate`. */
function next<T>(
  target: { on(e: string, h: (v: T) => void): unknown; off(e: string, h: (v: T) => void): unknown },
  event: string,
  predicate: (value: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.off(event, handler);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (value: T) => {
      if (predicate(value)) {
        clearTimeout(timer);
        target.off(event, handler);
        resolve(value);
      }
    };
    target.on(event, handler);
  });
}

const changeOf = (meta: ChannelMetadataClient, predicate: (c: MetadataChange) => boolean) =>
  next<MetadataChange>(meta, 'change', predicate);

const valueOf = (meta: ChannelMetadataClient, key: string) => meta.items.get(key)?.value;

let roomCounter = 0;
const newRoom = () => `sdk-meta-${++roomCounter}`;

describe('ChannelMetadataClient (memory engine)', () => {
  let app: AppProcess;
  const clients = new TestClients();
  const metas: ChannelMetadataClient[] = [];
  const meta = (socket: TestSocket, ref: ChannelRef, options = {}) => {
    const made = metadataFor(socket, ref, options);
    metas.push(made);
    return made;
  };

  beforeAll(async () => {
    app = await AppProcess.start({ env: { REAPER_INTERVAL_MS: '200' } });
  });

  afterEach(() => {
    metas.splice(0).forEach((m) => m.dispose());
    clients.closeAll();
  });

  afterAll(async () => {
    await app?.kill();
  });

  describe('the cache', () => {
    it('get() fills the cache; a write updates it from its own ack', async () => {
      const { channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice', 'bob');
      const alice = meta(s[0], channel);
      const local = changeOf(alice, (c) => c.source === 'local');
      await alice.set([{ key: 'score', value: 1 }]);
      expect(await local).toMatchObject({ type: 'set', majorRevision: 1 });
      expect(valueOf(alice, 'score')).toBe(1);

      const bob = meta(s[1], channel);
      expect(bob.items.size).toBe(0);
      const snapshot = await bob.get();
      expect(snapshot).toMatchObject({ majorRevision: 1 });
      expect(bob.majorRevision).toBe(1);
      expect(bob.items.get('score')).toMatchObject({
        value: 1,
        revision: 1,
        authorUserId: 'alice',
      });
    });

    it("another client's set and remove reach the cache through events", async () => {
      const { channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice', 'bob');
      const [alice, bob] = [meta(s[0], channel), meta(s[1], channel)];
      await bob.get();

      const set = changeOf(bob, (c) => c.source === 'remote');
      await alice.set([
        { key: 'a', value: 'x' },
        { key: 'b', value: [1] },
      ]);
      expect(await set).toMatchObject({ type: 'set', authorUserId: 'alice', majorRevision: 1 });
      expect(valueOf(bob, 'a')).toBe('x');
      expect(valueOf(bob, 'b')).toEqual([1]);

      const removed = changeOf(bob, (c) => c.type === 'remove');
      await alice.remove(['a']);
      expect((await removed).items).toEqual([{ key: 'a' }]);
      expect([...bob.items.keys()]).toEqual(['b']);
      expect(bob.majorRevision).toBe(2);
      expect(alice.majorRevision).toBe(2);
    });

    it('an event that skips revisions makes the cache re-read the channel', async () => {
      const { channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice', 'bob');
      const alice = meta(s[0], channel);
      await alice.set([{ key: 'early', value: 1 }]);
      await alice.set([{ key: 'early', value: 2 }]);
      // bob never read: its cache is at revision 0 and the next event is revision 3.
      const bob = meta(s[1], channel);
      const resynced = changeOf(bob, (c) => c.source === 'read');
      await alice.set([{ key: 'late', value: 3 }]);
      expect((await resynced).majorRevision).toBe(3);
      expect(valueOf(bob, 'early')).toBe(2);
      expect(valueOf(bob, 'late')).toBe(3);
    });
  });

  describe('update(key, fn)', () => {
    it('gives up after maxUpdateAttempts with REVISION_CONFLICT while others keep writing', async () => {
      const { channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice', 'bob');
      const alice = meta(s[0], channel, { maxUpdateAttempts: 3 });
      let calls = 0;
      // Every time alice computes, bob writes first (and is acked) before alice's write goes.
      const failure = await alice
        .update('hot', async (current) => {
          calls++;
          await requestOk(s[1], 'metadata:set', {
            ...channel,
            items: [{ key: 'hot', value: calls }],
          });
          return ((current as number | undefined) ?? 0) + 100;
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RealtimeError);
      expect((failure as RealtimeError).code).toBe('REVISION_CONFLICT');
      expect(calls).toBe(3);
    });

    it('creates an absent item (revision 0) and returns the written item', async () => {
      const { channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice');
      const alice = meta(s[0], channel);
      const item = await alice.update('count', (current) => ((current as number) ?? 0) + 1);
      expect(item).toMatchObject({ key: 'count', value: 1, revision: 1, authorUserId: 'alice' });
      const again = await alice.update('count', (current) => (current as number) + 1);
      expect(again).toMatchObject({ value: 2, revision: 2 });
    });
  });

  describe('locks', () => {
    it('renews an auto-renewed lock past its TTL; the token grows on re-acquire', async () => {
      const { channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice', 'bob');
      const [alice, bob] = [meta(s[0], channel), meta(s[1], channel)];
      const acquired = next<LockEvent>(bob, 'lock', (e) => e.type === 'acquired');
      const lock = await alice.lock('dealer', { ttlMs: 1000 });
      expect(await acquired).toMatchObject({ lockName: 'dealer', owner: 'alice' });
      expect(lock).toMatchObject({ lockName: 'dealer', owner: 'alice', held: true });
      const first = lock.expiresAt;
      const renewals = await renewedTimes(lock, 2);
      expect(renewals[0]).toBeGreaterThan(first);
      expect(renewals[1]).toBeGreaterThan(renewals[0]);
      // Past the first TTL, the lock is still alice's.
      expect(Date.now()).toBeGreaterThan(first);
      const listed = await requestOk<{ locks: { owner: string }[] }>(s[1], 'lock:list', channel);
      expect(listed.locks).toEqual([
        expect.objectContaining({ lockName: 'dealer', owner: 'alice' }),
      ]);

      const released = next<LockEvent>(bob, 'lock', (e) => e.type === 'released');
      await lock.release();
      await released;
      expect(lock.held).toBe(false);
      const again = await alice.lock('dealer', { ttlMs: 1000, autoRenew: false });
      expect(again.token).toBeGreaterThan(lock.token);
      await again.release();
    });

    it('reports lost when its holder left the room, and stops renewing', async () => {
      const { roomId, channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice');
      const alice = meta(s[0], channel);
      const lock = await alice.lock('turn', { ttlMs: 1000 });
      const lost = next<RealtimeError>(lock, 'lost');
      await requestOk(s[0], 'presence:leave', { roomId, connId: 'alice-c' });
      expect((await lost).code).toBe('LOCK_NOT_HELD');
      expect(lock.held).toBe(false);
    });
  });

  describe('user channels', () => {
    it('subscribe receives events, unsubscribe stops them, a reconnect re-subscribes', async () => {
      const owner = await clients.open(app.url, 'owner');
      const sentinelOwner = await clients.open(app.url, 'sentinel');
      const watcherSocket = await clients.open(app.url, 'watcher');
      const ownerMeta = meta(owner, userCh('owner'));
      const watcher = meta(watcherSocket, userCh('owner'));
      const sentinel = meta(watcherSocket, userCh('sentinel'));
      await sentinel.subscribe();

      await ownerMeta.set([{ key: 'avatar', value: 'cat' }]);
      expect(await watcher.subscribe()).toMatchObject({ majorRevision: 1 });
      expect(valueOf(watcher, 'avatar')).toBe('cat');
      const heard = changeOf(watcher, (c) => c.source === 'remote');
      await ownerMeta.set([{ key: 'avatar', value: 'dog' }]);
      await heard;
      expect(valueOf(watcher, 'avatar')).toBe('dog');

      // Dropped transport, a write while away, then a reconnect (by hand, so the write
      // surely happened during the outage): the client re-subscribes and re-reads.
      await dropTransport(watcherSocket);
      await ownerMeta.set([{ key: 'avatar', value: 'owl' }]);
      const reread = changeOf(watcher, (c) => c.source === 'read');
      watcherSocket.connect();
      await reread;
      expect(valueOf(watcher, 'avatar')).toBe('owl');
      const afterReconnect = changeOf(watcher, (c) => c.source === 'remote');
      await ownerMeta.set([{ key: 'avatar', value: 'fox' }]);
      await afterReconnect;
      expect(valueOf(watcher, 'avatar')).toBe('fox');

      // Unsubscribed: a later write to the sentinel channel arrives, this one does not.
      await watcher.unsubscribe();
      const seen: MetadataChange[] = [];
      watcher.on('change', (c) => seen.push(c));
      await ownerMeta.set([{ key: 'avatar', value: 'eel' }]);
      const sentinelHeard = changeOf(sentinel, (c) => c.source === 'remote');
      await meta(sentinelOwner, userCh('sentinel')).set([{ key: 'x', value: 1 }]);
      await sentinelHeard;
      expect(seen).toEqual([]);
      expect(valueOf(watcher, 'avatar')).toBe('fox');
    });
  });

  describe('dispose()', () => {
    it('leaves no listener on the socket and stops lock renewals', async () => {
      const { channel, sockets: s } = await clients.roomWith(app.url, newRoom(), 'alice', 'bob');
      const raw = s[0] as unknown as Socket;
      const counts = () =>
        ['metadata:event', 'lock:event', 'connect'].map((e) => raw.listeners(e).length);
      const before = counts();
      const alice = metadataFor(s[0], channel);
      alice.on('change', () => {});
      alice.on('lock', () => {});
      expect(counts()).not.toEqual(before);
      const lock = await alice.lock('seat', { ttlMs: 1000 });
      lock.on('renewed', () => {});

      const bob = meta(s[1], channel);
      const expired = next<LockEvent>(bob, 'lock', (e) => e.type === 'expired', 8000);
      alice.dispose();
      expect(counts()).toEqual(before);
      expect(alice.listenerCount()).toBe(0);
      expect(lock.listenerCount()).toBe(0);
      expect(lock.held).toBe(false);
      // No renewal keeps it: the lease lapses and the room hears so.
      expect(await expired).toMatchObject({ lockName: 'seat', owner: 'alice' });
    });
  });
});

describe('ChannelMetadataClient update() on Redis, two processes', () => {
  let redis: RedisServer;
  let apps: AppProcess[];
  const clients = new TestClients();
  const metas: ChannelMetadataClient[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const prefix = uniquePrefix();
    apps = await Promise.all([0, 1].map(() => AppProcess.start({ redisUrl: redis.url, prefix })));
  });

  afterAll(async () => {
    metas.splice(0).forEach((m) => m.dispose());
    clients.closeAll();
    await Promise.all((apps ?? []).map((app) => app.kill()));
    await redis?.stop();
  });

  it('5 clients × 10 increments of one counter lose no update', async () => {
    const roomId = newRoom();
    const users = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const players: ChannelMetadataClient[] = [];
    for (const [i, userId] of users.entries()) {
      const socket = await clients.open(apps[i % 2].url, userId);
      await requestOk(socket, 'presence:join', { roomId, connId: `${userId}-c` });
      players.push(metadataFor(socket, roomCh(roomId), { maxUpdateAttempts: 100 }));
    }
    metas.push(...players);
    const increment = (current: JsonValue | undefined) => ((current as number) ?? 0) + 1;
    const written = await Promise.all(
      players.map(async (player) => {
        const items: MetadataItem[] = [];
        for (let n = 0; n < 10; n++) {
          items.push(await player.update('counter', increment));
        }
        return items;
      }),
    );
    // Each increment wrote a distinct value: 1..50, every one exactly once.
    const values = written.flat().map((item) => item.value as number);
    expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const final = await players[0].get();
    expect(final.items.find((item) => item.key === 'counter')).toMatchObject({
      value: 50,
      revision: 50,
    });
  });
});

async function renewedTimes(lock: ChannelLock, n: number): Promise<number[]> {
  const seen: number[] = [];
  while (seen.length < n) {
    seen.push(await next<number>(lock, 'renewed'));
  }
  return seen;
}
