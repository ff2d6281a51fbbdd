import calculateSlot from 'cluster-key-slot';
import type { LockGrant, PresenceEvent, RoomMessage } from '@avalon-realtime/client/protocol';
import { AppProcess, FAST_PRESENCE, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAll,
  connect,
  dropTransport,
  nextEvent,
  request,
  requestOk,
  type TestSocket,
} from '../support/client.js';
import { expectSurvived, pollUntil, stopApp } from '../support/fault.js';
import {
  counterOf,
  increments,
  newStats,
  realTimeViolations,
  summary,
} from '../support/linearizability.js';
import { RedisCluster, type ClusterNode } from '../support/redis-cluster.js';
import { uniquePrefix } from '../support/redis-server.js';
import {
  gameOk,
  lastViews,
  playersIn,
  startedGame,
  untilVersion,
  type Seat,
} from './game-helpers.js';
import { getMeta, okData, roomCh, setMeta } from './metadata-helpers.js';
import { heartbeat, join, joinSeenBy, keepAlive, list } from './presence-helpers.js';

/** The hash slot of a room's keys (all share the tag `{room:<id>}`). */
const roomSlot = (roomId: string): number => calculateSlot(`{room:${roomId}}`);
/** The hash slot of a room channel's metadata keys. */
const channelSlot = (roomId: string): number => calculateSlot(`{chan:room:${roomId}}`);

/** Answers a client may get while a master fails over: try again, nothing is lost. */
const TRANSIENT = new Set(['UNAVAILABLE', 'BUSY']);
const FIVE = ['ann', 'ben', 'cat', 'dan', 'eve'];

describe('Redis Cluster (3 masters + 3 replicas, two server processes)', () => {
  let cluster: RedisCluster;
  let a: AppProcess;
  let b: AppProcess;
  const prefix = uniquePrefix();
  const sockets: TestSocket[] = [];

  const open = async (app: AppProcess, userId: string): Promise<TestSocket> => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  /** The sharded channel that carries a room's broadcasts (the adapter's naming). */
  const broadcastChannel = (roomId: string): string => `${prefix}:socket.io#/#room:${roomId}#`;

  /** Room ids whose slots (by default: of their keys) are served by `count` masters. */
  async function roomsOnMasters(
    tag: string,
    count: number,
    slotOf: (roomId: string) => number = roomSlot,
  ): Promise<string[]> {
    const chosen = new Map<string, string>();
    for (let i = 0; chosen.size < count; i++) {
      const roomId = `${tag}-${i}`;
      const master = await cluster.masterOf(slotOf(roomId));
      if (!chosen.has(master.id)) {
        chosen.set(master.id, roomId);
      }
    }
    return [...chosen.values()];
  }

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    const options = {
      prefix,
      env: {
        ...NO_RATE_LIMITS,
        ...FAST_PRESENCE,
        PRESENCE_TTL_MS: '5000',
        REDIS_CLUSTER_NODES: cluster.seeds,
        REDIS_COMMAND_TIMEOUT_MS: '1500',
      },
    };
    [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  }, 60_000);

  afterEach(() => closeAll(...sockets.splice(0)));

  afterAll(async () => {
    await Promise.all([stopApp(a), stopApp(b)]);
    await cluster?.stop();
  });

  it('runs presence across processes in rooms on every master', async () => {
    const rooms = await roomsOnMasters('presence', 3);
    const [alice, bob] = await Promise.all([open(a, 'alice'), open(b, 'bob')]);
    for (const roomId of rooms) {
      await join(alice, { roomId, connId: `alice-${roomId}` });
      const seen = await joinSeenBy(alice, bob, { roomId, connId: `bob-${roomId}` });
      const beat = await heartbeat(bob, { roomId, connId: seen.connId, epoch: seen.epoch });
      expect(beat.ok).toBe(true);
      const members = (await list(alice, roomId)).members.map((m) => m.connId).sort();
      expect(members).toEqual([`alice-${roomId}`, `bob-${roomId}`]);
    }
    const left = nextEvent<PresenceEvent>(alice, 'presence:event', (e) => e.type === 'leave');
    await requestOk(bob, 'presence:leave', { roomId: rooms[2], connId: `bob-${rooms[2]}` });
    expect(await left).toEqual(
      expect.objectContaining({ roomId: rooms[2], connId: `bob-${rooms[2]}`, type: 'leave' }),
    );
    const rooms2 = await requestOk<{ rooms: { roomId: string }[] }>(alice, 'presence:user', {
      userId: 'bob',
    });
    expect(rooms2.rooms.map((r) => r.roomId).sort()).toEqual([rooms[0], rooms[1]].sort());
    expectSurvived(a, b);
  });

  it('reaps members who stopped heartbeating in rooms on every master', async () => {
    const rooms = await roomsOnMasters('reap', 3);
    const [alice, bob] = await Promise.all([open(a, 'alice'), open(b, 'bob')]);
    const stoppers: (() => void)[] = [];
    for (const roomId of rooms) {
      stoppers.push(keepAlive(alice, await join(alice, { roomId, connId: `alice-r-${roomId}` })));
      await joinSeenBy(alice, bob, { roomId, connId: `bob-r-${roomId}` });
    }
    const reasons = new Map<string, string | undefined>();
    const allReaped = new Promise<void>((resolve) =>
      alice.on('presence:event', (e: PresenceEvent) => {
        if (e.type === 'leave' && e.connId.startsWith('bob-r-')) {
          reasons.set(e.roomId, e.reason);
          if (reasons.size === rooms.length) resolve();
        }
      }),
    );
    await dropTransport(bob); // a lost network: no leave, no heartbeats, the TTL runs out
    await allReaped;
    stoppers.forEach((stop) => stop());
    expect(Object.fromEntries(reasons)).toEqual(
      Object.fromEntries(rooms.map((roomId) => [roomId, 'timeout'])),
    );
  }, 20_000);

  it('broadcasts room messages over sharded pub/sub, a channel per room on its master', async () => {
    const rooms = await roomsOnMasters('msg', 3, (roomId) =>
      calculateSlot(broadcastChannel(roomId)),
    );
    const [alice, bob] = await Promise.all([open(a, 'alice'), open(b, 'bob')]);
    for (const roomId of rooms) {
      await join(alice, { roomId, connId: `alice-m-${roomId}` });
      await joinSeenBy(alice, bob, { roomId, connId: `bob-m-${roomId}` });
      const heard = nextEvent<RoomMessage>(bob, 'room:message', (m) => m.roomId === roomId);
      await requestOk(alice, 'room:message', { roomId, data: { hello: roomId } });
      expect((await heard).data).toEqual({ hello: roomId });
    }
    // Each room's channel is subscribed (SSUBSCRIBE) on the master serving its slot.
    for (const roomId of rooms) {
      const master = await cluster.masterOf(calculateSlot(broadcastChannel(roomId)));
      const channels = await cluster.cli(master.port, 'PUBSUB', 'SHARDCHANNELS');
      expect(channels.split('\n')).toContain(broadcastChannel(roomId));
    }
  });

  it('keeps metadata CAS linearizable: 10 writers on both processes, no lost update', async () => {
    const [roomId] = await roomsOnMasters('cas', 1);
    const channel = roomCh(roomId);
    const writers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const socket = await open(i % 2 === 0 ? a : b, `writer-${i}`);
        await join(socket, { roomId, connId: `writer-${i}-c` });
        return socket;
      }),
    );
    okData(await setMeta(writers[0], { ...channel, items: [{ key: 'counter', value: 0 }] }));
    const stats = newStats();
    const deadline = Date.now() + 30_000;
    const began = Date.now();
    await Promise.all(writers.map((s, i) => increments(s, i, channel, 10, stats, deadline)));
    console.log(summary('cluster CAS (10 writers x 10)', stats, Date.now() - began, []));
    expect(stats.unexpected).toEqual([]);
    expect(stats.commits).toHaveLength(100);
    expect(counterOf((await getMeta(writers[1], channel)).items)).toEqual(
      expect.objectContaining({ value: 100, revision: 101 }),
    );
    expect(realTimeViolations(stats.commits)).toEqual([]);
  }, 40_000);

  it('grants a lock to one process at a time with growing fencing tokens', async () => {
    const [roomId] = await roomsOnMasters('lock', 1);
    const [alice, bob] = await Promise.all([open(a, 'alice'), open(b, 'bob')]);
    await join(alice, { roomId, connId: 'alice-l' });
    await join(bob, { roomId, connId: 'bob-l' });
    const lock = { channelType: 'room', channelName: roomId, lockName: 'turn', ttlMs: 5000 };
    const first = await requestOk<LockGrant>(alice, 'lock:acquire', lock);
    const held = await request(bob, 'lock:acquire', lock);
    expect(held).toEqual(expect.objectContaining({ ok: false }));
    expect(held.ok ? undefined : held.error.code).toBe('LOCK_HELD');
    await requestOk(alice, 'lock:release', { ...lock, ttlMs: undefined });
    const second = await requestOk<LockGrant>(bob, 'lock:acquire', lock);
    expect(second.owner).toBe('bob');
    expect(second.token).toBeGreaterThan(first.token);
  });

  it('plays games in rooms on every master: racing votes on both processes all count', async () => {
    const rooms = await roomsOnMasters('game', 3);
    for (const roomId of rooms) {
      const seats = await playersIn([a.url, b.url], roomId, FIVE);
      sockets.push(...seats.map((seat) => seat.socket));
      const views = await startedGame(seats, roomId);
      const leader = seats.find((seat) => seat.userId === views.get('ann')?.leader) as Seat;
      const proposed = await gameOk(leader.socket, 'game:propose', {
        roomId,
        team: FIVE.slice(0, 2),
      });
      await Promise.all(
        seats.map((seat) => gameOk(seat.socket, 'game:vote', { roomId, approve: true })),
      );
      await Promise.all(seats.map((seat) => untilVersion(seat, roomId, proposed.version + 5)));
      for (const view of lastViews(seats, roomId)) {
        expect(view).toMatchObject({ phase: 'questing', version: proposed.version + 5 });
        expect(Object.keys(view.proposal?.votes ?? {}).sort()).toEqual(FIVE);
      }
    }
    expectSurvived(a, b);
  });

  it('survives a master killed and its replica promoted: acked writes kept, presence back', async () => {
    const [roomId] = await roomsOnMasters('failover', 1);
    const victim = await cluster.masterOf(channelSlot(roomId));
    const [alice, bob] = await Promise.all([open(a, 'alice'), open(b, 'bob')]);
    const session = await join(alice, { roomId, connId: 'alice-f' });
    await joinSeenBy(alice, bob, { roomId, connId: 'bob-f' });
    const channel = roomCh(roomId);
    okData(await setMeta(alice, { ...channel, items: [{ key: 'before', value: 1 }] }));
    // Replication is asynchronous (Redis's own guarantee): wait until the replica has it.
    await replicaCaughtUp(cluster, victim);

    cluster.server(victim.port).signal('SIGKILL');
    const answers: string[] = [];
    // The replica's election takes a few node timeouts, longer on a loaded 2-core machine.
    // If it gives up, the answers and the cluster's roles say where it was stuck.
    const promoted = await pollUntil(
      'a write to the promoted replica',
      async () => {
        const ack = await request(bob, 'metadata:set', {
          ...channel,
          items: [{ key: 'after', value: 1 }],
        }).catch(() => undefined);
        answers.push(ack ? (ack.ok ? 'ok' : ack.error.code) : 'no ack');
        if (ack && !ack.ok && ack.error.code === 'FORBIDDEN') {
          // A failover longer than PRESENCE_TTL_MS lets Bob's presence lapse (no heartbeat got
          // through), and only members write: he joins again, as a client would. FORBIDDEN
          // while he is still listed would be a bug.
          const listed = await request<{ members: { connId: string }[] }>(bob, 'presence:list', {
            roomId,
          }).catch(() => undefined);
          if (listed?.ok && listed.data.members.some((m) => m.connId === 'bob-f')) {
            answers.push('FORBIDDEN while present');
          }
          await request(bob, 'presence:join', { roomId, connId: 'bob-f' }).catch(() => undefined);
        }
        return ack?.ok === true ? true : undefined;
      },
      40_000,
      100,
    ).catch(async (err: Error) => {
      const nodes = (await cluster.topology()).map(
        (n) => `${n.port}:${n.role}${n.failed ? ':failed' : ''}`,
      );
      throw new Error(`${err.message}; answers: ${answers.join(',')}; nodes: ${nodes.join(' ')}`);
    });
    expect(promoted).toBe(true);
    console.log(
      `failover of :${victim.port}: answers until a write succeeded: ${answers.join(',')}`,
    );
    expect(answers.filter((x) => x !== 'ok' && !TRANSIENT.has(x) && x !== 'FORBIDDEN')).toEqual([]);

    // Alice's presence may have lapsed too (no heartbeat during the failover): she beats, or
    // joins again, before reading the channel only members may read.
    const beat = await heartbeat(alice, { roomId, connId: 'alice-f', epoch: session.epoch });
    const rejoined = beat.ok
      ? session
      : await afterFailover(() => join(alice, { roomId, connId: 'alice-f' }));
    expect(rejoined.connId).toBe('alice-f');
    const items = (await getMeta(alice, channel)).items.map((i) => i.key).sort();
    expect(items).toEqual(['after', 'before']);
    const members = (await afterFailover(() => list(bob, roomId))).members
      .map((m) => m.connId)
      .sort();
    expect(members).toEqual(['alice-f', 'bob-f']);
    expectSurvived(a, b);
  }, 70_000);

  it('keeps working while a room slot migrates to another master', async () => {
    await cluster.waitUntilHealthy();
    const [roomId] = await roomsOnMasters('migrate', 1);
    const slot = roomSlot(roomId);
    const from = await cluster.masterOf(slot);
    const to = (await cluster.topology()).find(
      (n) => n.role === 'master' && !n.failed && n.id !== from.id,
    ) as ClusterNode;
    const [alice, bob] = await Promise.all([open(a, 'alice'), open(b, 'bob')]);
    // The test before killed a master: a request may still meet the failover once.
    const session = await afterFailover(() => join(alice, { roomId, connId: 'alice-g' }));
    await afterFailover(() => join(bob, { roomId, connId: 'bob-g' }));
    const failures: string[] = [];
    let running = true;
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        const acks = await Promise.all([
          heartbeat(alice, { roomId, connId: 'alice-g', epoch: session.epoch, statePatch: { i } }),
          request(bob, 'presence:list', { roomId }),
          request(bob, 'room:message', { roomId, data: { i } }),
        ]);
        acks.forEach((ack) => !ack.ok && failures.push(`${ack.error.code}: ${ack.error.message}`));
      }
    })();
    await cluster.migrateSlot(slot, from, to);
    running = false;
    await traffic;
    console.log(`slot ${slot} migrated under traffic; ${failures.length} requests refused`);
    expect(failures).toEqual([]);
    expect((await cluster.masterOf(slot)).id).toBe(to.id);
    const members = (await list(bob, roomId)).members;
    expect(members.map((m) => m.connId).sort()).toEqual(['alice-g', 'bob-g']);
    expect(members.find((m) => m.connId === 'alice-g')?.state).toEqual({ i: expect.any(Number) });
    expectSurvived(a, b);
  }, 40_000);
});

/**
 * A request that may answer UNAVAILABLE while the cluster settles after a failover, as a
 * client retries it (the protocol's advice), for up to 5 s.
 */
async function afterFailover<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 20 || !String(err).includes('UNAVAILABLE')) {
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Waits until every replica of `master` has replicated all it has (INFO replication). */
async function replicaCaughtUp(cluster: RedisCluster, master: ClusterNode): Promise<void> {
  await pollUntil(
    `replicas of :${master.port} caught up`,
    async () => {
      const info = await cluster.cli(master.port, 'INFO', 'replication');
      const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
      const replicas = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) => m[1]);
      return replicas.length > 0 && replicas.every((o) => o === offset) ? true : undefined;
    },
    10_000,
  );
}
