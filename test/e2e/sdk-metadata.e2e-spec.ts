import { createServer, type Server } from 'node:net';
import {
  RealtimeError,
  type ChannelLock,
  type ChannelMetadataClient,
  type JsonValue,
  type LockEvent,
  type Member,
  type MetadataChange,
  type MetadataItem,
  type PresenceChannel,
  type RealtimeClient,
} from '@avalon-realtime/client';
import { AppProcess } from '../support/app.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import { roomCh, userCh } from './metadata-helpers.js';
import { Clients, dropTransport, nextOf, recordOf, socketOf, TcpProxy } from './sdk-helpers.js';

/** One user in a room through the SDK: its client, presence channel and the room's metadata. */
interface Player {
  client: RealtimeClient;
  room: PresenceChannel;
  meta: ChannelMetadataClient;
}

const changeOf = (meta: ChannelMetadataClient, predicate: (c: MetadataChange) => boolean) =>
  nextOf<[MetadataChange]>(meta, 'change', predicate).then(([change]) => change);

const lockEventOf = (meta: ChannelMetadataClient, type: LockEvent['type'], timeoutMs = 5000) =>
  nextOf<[LockEvent]>(meta, 'lock', (e) => e.type === type, timeoutMs).then(([event]) => event);

const valueOf = (meta: ChannelMetadataClient, key: string) => meta.items.get(key)?.value;

let roomCounter = 0;
const newRoom = () => `sdk-meta-${++roomCounter}`;

/** Every SDK object here comes from RealtimeClient: `client.metadata(ref)`, `client.presence()`. */
describe('SDK channel metadata (RealtimeClient.metadata)', () => {
  let app: AppProcess;
  /** Two processes on one Redis, for update() under contention. */
  let redis: RedisServer;
  let redisApps: AppProcess[];
  /** The memory-engine process seen through a proxy: a client's network can go down. */
  let proxy: TcpProxy;
  /** Accepts and at once closes every connection: the proxy's upstream while "offline". */
  let refuser: Server;
  const clients = new Clients();

  /** `userId` connected to `url`, present in `roomId` (connId `<user>-c`). */
  async function player(
    url: string,
    userId: string,
    roomId: string,
    options: Parameters<RealtimeClient['metadata']>[1] = {},
  ): Promise<Player> {
    const client = await clients.connected(url, userId);
    const room = client.presence(roomId, { connId: `${userId}-c` });
    await room.join();
    return { client, room, meta: client.metadata(roomCh(roomId), options) };
  }

  /**
   * The client's network is down while `during` runs: its transport drops and every
   * reconnect attempt is refused; then the network is back and the client reconnects
   * (resolves after its 'reconnect': rooms resumed, reconnect hooks done).
   */
  async function offlineWhile(client: RealtimeClient, during: () => Promise<unknown>) {
    proxy.upstreamPort = portOf(refuser);
    const reconnecting = nextOf(client, 'status', (status) => status === 'reconnecting');
    dropTransport(client);
    await reconnecting;
    await during();
    const back = nextOf(client, 'reconnect');
    proxy.upstreamPort = app.port;
    await back;
  }

  beforeAll(async () => {
    const startRedisPair = async () => {
      redis = await RedisServer.start();
      const onRedis = { redisUrl: redis.url, prefix: uniquePrefix() };
      redisApps = await Promise.all([0, 1].map(() => AppProcess.start(onRedis)));
    };
    [app] = await Promise.all([
      AppProcess.start({ env: { REAPER_INTERVAL_MS: '200' } }),
      startRedisPair(),
    ]);
    proxy = await TcpProxy.start(app.port);
    refuser = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => refuser.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    app.child.kill('SIGCONT'); // in case a test that stopped the server failed midway
    proxy.upstreamPort = app.port;
    await clients.closeAll();
  });

  afterAll(async () => {
    await proxy?.stop();
    await new Promise((resolve) => (refuser ? refuser.close(resolve) : resolve(undefined)));
    await Promise.all([app, ...(redisApps ?? [])].map((process) => process?.kill()));
    await redis?.stop();
  });

  describe('the cache', () => {
    it('get() fills the cache; a write updates it from its own ack', async () => {
      const roomId = newRoom();
      const alice = await player(app.url, 'alice', roomId);
      const bob = await player(app.url, 'bob', roomId);
      expect(alice.client.metadata(roomCh(roomId))).toBe(alice.meta); // one per channel
      const local = changeOf(alice.meta, (c) => c.source === 'local');
      await alice.meta.set([{ key: 'score', value: 1 }]);
      expect(await local).toMatchObject({ type: 'set', majorRevision: 1 });
      expect(valueOf(alice.meta, 'score')).toBe(1);

      // bob was in the room and heard the event: read anyway, the cache is the snapshot.
      const snapshot = await bob.meta.get();
      expect(snapshot).toMatchObject({ majorRevision: 1 });
      expect(bob.meta.majorRevision).toBe(1);
      expect(bob.meta.items.get('score')).toMatchObject({
        value: 1,
        revision: 1,
        authorUserId: 'alice',
      });

      // A client that joins later starts empty until it reads.
      const carol = await player(app.url, 'carol', roomId);
      expect(carol.meta.items.size).toBe(0);
      await carol.meta.get();
      expect(valueOf(carol.meta, 'score')).toBe(1);
      expect(carol.meta.majorRevision).toBe(1);
    });

    it("another client's set and remove reach the cache through events", async () => {
      const roomId = newRoom();
      const alice = await player(app.url, 'alice', roomId);
      const bob = await player(app.url, 'bob', roomId);
      await bob.meta.get();

      const set = changeOf(bob.meta, (c) => c.source === 'remote');
      await alice.meta.set([
        { key: 'a', value: 'x' },
        { key: 'b', value: [1] },
      ]);
      expect(await set).toMatchObject({ type: 'set', authorUserId: 'alice', majorRevision: 1 });
      expect(valueOf(bob.meta, 'a')).toBe('x');
      expect(valueOf(bob.meta, 'b')).toEqual([1]);

      const removed = changeOf(bob.meta, (c) => c.type === 'remove');
      await alice.meta.remove(['a']);
      expect((await removed).items).toEqual([{ key: 'a' }]);
      expect([...bob.meta.items.keys()]).toEqual(['b']);
      expect(bob.meta.majorRevision).toBe(2);
      expect(alice.meta.majorRevision).toBe(2);
    });

    it('an event that skips revisions makes the cache re-read the channel', async () => {
      const roomId = newRoom();
      const alice = await player(app.url, 'alice', roomId);
      const bobClient = await clients.connected(app.url, 'bob');
      await bobClient.presence(roomId, { connId: 'bob-c' }).join();
      await alice.meta.set([{ key: 'early', value: 1 }]);
      await alice.meta.set([{ key: 'early', value: 2 }]);
      // bob's metadata client is new and never read: its cache is at revision 0 and the
      // next event is revision 3.
      const bob = bobClient.metadata(roomCh(roomId));
      const resynced = changeOf(bob, (c) => c.source === 'read');
      await alice.meta.set([{ key: 'late', value: 3 }]);
      expect((await resynced).majorRevision).toBe(3);
      expect(valueOf(bob, 'early')).toBe(2);
      expect(valueOf(bob, 'late')).toBe(3);
    });

    it("a room channel's cache catches up after a reconnect: presence resumes first, then it re-reads", async () => {
      const roomId = newRoom();
      const bob = await player(app.url, 'bob', roomId);
      const alice = await player(proxy.url, 'alice', roomId); // its network can go down
      await alice.meta.set([{ key: 'phase', value: 'day' }]);
      const epoch = alice.room.epoch;
      const syncErrors = recordOf<RealtimeError>(alice.meta, 'syncError');
      const changes = recordOf<MetadataChange>(alice.meta, 'change');
      // What alice's presence channel was at when the re-read reached the cache.
      let roomAtRead: { joined: boolean; epoch: number } | undefined;
      alice.meta.on('change', (change) => {
        if (change.source === 'read') {
          roomAtRead = { joined: alice.room.joined, epoch: alice.room.epoch };
        }
      });
      const away = nextOf<[Member]>(bob.room, 'update', (m) => m.status === 'away');
      const online = nextOf<[Member]>(bob.room, 'update', (m) => m.status === 'online');

      await offlineWhile(alice.client, async () => {
        await away; // the server too knows alice is gone
        await bob.meta.set([{ key: 'phase', value: 'night' }]); // an event alice never gets
      });
      await online;

      expect(changes).toEqual([
        expect.objectContaining({ source: 'read', type: 'resync', majorRevision: 2 }),
      ]);
      expect(alice.meta.items.get('phase')).toMatchObject({
        value: 'night',
        revision: 2,
        authorUserId: 'bob',
      });
      expect(syncErrors).toEqual([]);
      // Room channels are readable by present users only: the read came after the resume.
      expect(roomAtRead).toEqual({ joined: true, epoch: expect.any(Number) });
      expect(roomAtRead!.epoch).toBeGreaterThan(epoch);
      expect(alice.room.connId).toBe('alice-c');
    });
  });

  describe('update(key, fn)', () => {
    it('gives up after maxUpdateAttempts with REVISION_CONFLICT while others keep writing', async () => {
      const roomId = newRoom();
      const alice = await player(app.url, 'alice', roomId, { maxUpdateAttempts: 3 });
      const bob = await player(app.url, 'bob', roomId);
      let calls = 0;
      // Every time alice computes, bob writes first (and is acked) before alice's write goes.
      const failure = await alice.meta
        .update('hot', async (current) => {
          calls++;
          await bob.meta.set([{ key: 'hot', value: calls }]);
          return ((current as number | undefined) ?? 0) + 100;
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RealtimeError);
      expect((failure as RealtimeError).code).toBe('REVISION_CONFLICT');
      expect(calls).toBe(3);
      expect(valueOf(alice.meta, 'hot')).toBe(3); // bob's last write stands
    });

    it('creates an absent item (revision 0) and returns the written item', async () => {
      const alice = await player(app.url, 'alice', newRoom());
      const item = await alice.meta.update('count', (current) => ((current as number) ?? 0) + 1);
      expect(item).toMatchObject({ key: 'count', value: 1, revision: 1, authorUserId: 'alice' });
      const again = await alice.meta.update('count', (current) => (current as number) + 1);
      expect(again).toMatchObject({ value: 2, revision: 2 });
    });

    it('a write that timed out (UNAVAILABLE) is read back before any retry: applied once, fn not run again', async () => {
      const roomId = newRoom();
      const client = await clients.connected(app.url, 'alice', { requestTimeoutMs: 500 });
      await client.presence(roomId, { connId: 'alice-c' }).join();
      const meta = client.metadata(roomCh(roomId));
      await meta.set([{ key: 'count', value: 1 }]);
      const sent: string[] = [];
      // The server is stopped while the write goes out, and resumed as the client reads back:
      // the write was applied after all, just too late for its ack to count.
      socketOf(client).onAnyOutgoing((event: string) => {
        sent.push(event);
        if (event === 'metadata:get') {
          app.child.kill('SIGCONT');
        }
      });
      let calls = 0;
      app.child.kill('SIGSTOP');
      const item = await meta.update('count', (current) => {
        calls++;
        return (current as number) + 1;
      });
      expect(item).toMatchObject({ key: 'count', value: 2, revision: 2, authorUserId: 'alice' });
      expect(calls).toBe(1);
      expect(sent).toEqual(['metadata:set', 'metadata:get']); // read, not sent again
      expect(meta.items.get('count')).toMatchObject({ value: 2, revision: 2 });
      await expect(meta.get()).resolves.toMatchObject({ majorRevision: 2 });
    });
  });

  describe('locks', () => {
    it('renews an auto-renewed lock past its TTL; the token grows on re-acquire', async () => {
      const roomId = newRoom();
      const alice = await player(app.url, 'alice', roomId);
      const bob = await player(app.url, 'bob', roomId);
      const acquired = lockEventOf(bob.meta, 'acquired');
      const lock = await alice.meta.lock('dealer', { ttlMs: 1000 });
      expect(await acquired).toMatchObject({ lockName: 'dealer', owner: 'alice' });
      expect(lock).toMatchObject({ lockName: 'dealer', owner: 'alice', held: true });
      const first = lock.expiresAt;
      const renewals = await renewedTimes(lock, 2);
      expect(renewals[0]).toBeGreaterThan(first);
      expect(renewals[1]).toBeGreaterThan(renewals[0]);
      // Past the first TTL, the lock is still alice's.
      expect(Date.now()).toBeGreaterThan(first);
      const listed = await bob.client.request('lock:list', roomCh(roomId));
      expect(listed.locks).toEqual([
        expect.objectContaining({ lockName: 'dealer', owner: 'alice' }),
      ]);

      const released = lockEventOf(bob.meta, 'released');
      await lock.release();
      await released;
      expect(lock.held).toBe(false);
      const again = await alice.meta.lock('dealer', { ttlMs: 1000, autoRenew: false });
      expect(again.token).toBeGreaterThan(lock.token);
      await again.release();
    });

    it('reports lost when its holder left the room, and stops renewing', async () => {
      const alice = await player(app.url, 'alice', newRoom());
      const lock = await alice.meta.lock('turn', { ttlMs: 1000 });
      const lost = nextOf<[RealtimeError]>(lock, 'lost');
      await alice.room.leave();
      expect((await lost)[0].code).toBe('LOCK_NOT_HELD');
      expect(lock.held).toBe(false);
    });
  });

  describe('user channels', () => {
    it('subscribe receives events, unsubscribe stops them, a reconnect re-subscribes and re-reads', async () => {
      const owner = (await clients.connected(app.url, 'owner')).metadata(userCh('owner'));
      const sentinelOwner = (await clients.connected(app.url, 'sentinel')).metadata(
        userCh('sentinel'),
      );
      const watcherClient = await clients.connected(proxy.url, 'watcher');
      const watcher = watcherClient.metadata(userCh('owner'));
      const sentinel = watcherClient.metadata(userCh('sentinel'));
      await sentinel.subscribe();

      await owner.set([{ key: 'avatar', value: 'cat' }]);
      expect(await watcher.subscribe()).toMatchObject({ majorRevision: 1 });
      expect(valueOf(watcher, 'avatar')).toBe('cat');
      const heard = changeOf(watcher, (c) => c.source === 'remote');
      await owner.set([{ key: 'avatar', value: 'dog' }]);
      await heard;
      expect(valueOf(watcher, 'avatar')).toBe('dog');

      // The watcher's network goes down, the owner writes meanwhile, the network comes back:
      // the client re-subscribes and re-reads.
      const reread = changeOf(watcher, (c) => c.source === 'read');
      await offlineWhile(watcherClient, () => owner.set([{ key: 'avatar', value: 'owl' }]));
      await reread;
      expect(valueOf(watcher, 'avatar')).toBe('owl');
      const afterReconnect = changeOf(watcher, (c) => c.source === 'remote');
      await owner.set([{ key: 'avatar', value: 'fox' }]);
      await afterReconnect;
      expect(valueOf(watcher, 'avatar')).toBe('fox');

      // Unsubscribed: a later write to the sentinel channel arrives, this one does not.
      await watcher.unsubscribe();
      const seen = recordOf<MetadataChange>(watcher, 'change');
      await owner.set([{ key: 'avatar', value: 'eel' }]);
      const sentinelHeard = changeOf(sentinel, (c) => c.source === 'remote');
      await sentinelOwner.set([{ key: 'x', value: 1 }]);
      await sentinelHeard;
      expect(seen).toEqual([]);
      expect(valueOf(watcher, 'avatar')).toBe('fox');
    });
  });

  it('hands out a new metadata client for a channel whose client the app disposed', async () => {
    const roomId = newRoom();
    const alice = await player(app.url, 'alice', roomId);
    const bob = await player(app.url, 'bob', roomId);
    alice.meta.dispose();
    const fresh = alice.client.metadata(roomCh(roomId));
    expect(fresh).not.toBe(alice.meta);
    await fresh.get();
    const heard = changeOf(fresh, (c) => c.source === 'remote');
    await bob.meta.set([{ key: 'after-dispose', value: 1 }]);
    await heard;
    expect(valueOf(fresh, 'after-dispose')).toBe(1);
    expect(alice.meta.listenerCount()).toBe(0);
  });

  describe('client.close()', () => {
    it('disposes its metadata clients: no listener or hook is left, and its locks are released', async () => {
      const roomId = newRoom();
      const bob = await player(app.url, 'bob', roomId);
      const client = await clients.connected(app.url, 'alice');
      await client.presence(roomId, { connId: 'alice-c' }).join();
      const before = client.openResources();
      const meta = client.metadata(roomCh(roomId));
      meta.on('change', () => {});
      meta.on('lock', () => {});
      expect(client.openResources()).toMatchObject({
        socketListeners: before.socketListeners + 2, // metadata:event, lock:event
        hooks: before.hooks + 1, // the re-read after a reconnect
        metadataClients: 1,
      });
      const lock = await meta.lock('seat', { ttlMs: 1000 });
      lock.on('renewed', () => {});

      const released = lockEventOf(bob.meta, 'released');
      await client.close(); // leaves the room: alice is no longer present
      expect(client.openResources()).toEqual({
        socketListeners: 0,
        timers: 0,
        rooms: 0,
        metadataClients: 0,
        hooks: 0,
        waitingRequests: 0,
      });
      expect(meta.listenerCount()).toBe(0);
      expect(lock.listenerCount()).toBe(0);
      expect(lock.held).toBe(false);
      expect(await released).toMatchObject({ lockName: 'seat', owner: 'alice' });
      expect(() => client.metadata(roomCh(roomId))).toThrow('the client is closed');
      await expect(bob.client.request('lock:list', roomCh(roomId))).resolves.toEqual({
        locks: [],
      });
    });

    it('stops renewing the locks of a closed client: one its user still being present lapses', async () => {
      const roomId = newRoom();
      const bob = await player(app.url, 'bob', roomId);
      // alice on a second device stays in the room: only renewals could keep her lock.
      await player(app.url, 'alice', roomId);
      const client = await clients.connected(app.url, 'alice');
      await client.presence(roomId, { connId: 'alice-phone' }).join();
      const acquired = lockEventOf(bob.meta, 'acquired');
      const lock = await client.metadata(roomCh(roomId)).lock('seat', { ttlMs: 1000 });
      await acquired;
      const events = recordOf<LockEvent>(bob.meta, 'lock');
      const expired = lockEventOf(bob.meta, 'expired', 8000);
      await client.close();
      expect(lock.held).toBe(false);
      // No renewal keeps it: the lease lapses and the room hears so (not as a release).
      expect(await expired).toMatchObject({ lockName: 'seat', owner: 'alice' });
      expect(events.map((e) => e.type)).toEqual(['expired']);
    });
  });

  describe('update() on Redis, two processes', () => {
    it('5 clients × 10 increments of one counter lose no update', async () => {
      const roomId = newRoom();
      const users = ['p1', 'p2', 'p3', 'p4', 'p5'];
      const players: ChannelMetadataClient[] = [];
      for (const [i, userId] of users.entries()) {
        const client = await clients.connected(redisApps[i % 2].url, userId);
        await client.presence(roomId, { connId: `${userId}-c` }).join();
        players.push(client.metadata(roomCh(roomId), { maxUpdateAttempts: 100 }));
      }
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
      expect([...values].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const final = await players[0].get();
      expect(final.items.find((item) => item.key === 'counter')).toMatchObject({
        value: 50,
        revision: 50,
      });
    });
  });
});

async function renewedTimes(lock: ChannelLock, n: number): Promise<number[]> {
  const seen: number[] = [];
  while (seen.length < n) {
    const [expiresAt] = await nextOf<[number]>(lock, 'renewed');
    seen.push(expiresAt);
  }
  return seen;
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
