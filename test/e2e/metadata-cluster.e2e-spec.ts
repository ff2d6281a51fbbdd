import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type {
  LockEvent,
  MetadataEvent,
  MetadataSnapshot,
  MetadataWriteResult,
  RoomMessage,
} from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAll,
  connect,
  nextEvent,
  record,
  request,
  requestOk,
  untilRecorded,
  type TestSocket,
} from '../support/client.js';
import {
  counterOf,
  increments,
  newStats,
  realTimeViolations,
  summary,
} from '../support/linearizability.js';
import { RedisServer, uniquePrefix } from '../support/redis-server.js';
import {
  acquire,
  anItem,
  errorOf,
  getMeta,
  okData,
  removeMeta,
  roomCh,
  setMeta,
  updateMeta,
  userCh,
} from './metadata-helpers.js';
import { join } from './presence-helpers.js';

const REAPER_INTERVAL_MS = 200;
/** PROTOCOL: a lapse is announced within REAPER_INTERVAL_MS + 1 s; plus slack for a busy CI. */
const EXPIRY_ANNOUNCED_MS = REAPER_INTERVAL_MS + 1000 + 1500;
/** Default presence timings (TTL 30 s): nobody expires while a test runs, no heartbeats needed. */
const ENV = { ...NO_RATE_LIMITS, REAPER_INTERVAL_MS: String(REAPER_INTERVAL_MS) };
/** Answers a write may get under contention or storage trouble; the client re-reads and retries. */

let roomCounter = 0;
const newRoom = () => `mcroom-${++roomCounter}`;
let lockCounter = 0;
const newLock = () => `mclock-${++lockCounter}`;

/** Two processes, A and B, on one Redis and one prefix. */
async function startPair(redis: RedisServer): Promise<[AppProcess, AppProcess]> {
  const options = { redisUrl: redis.url, prefix: uniquePrefix(), env: ENV };
  const [a, b] = await Promise.all([AppProcess.start(options), AppProcess.start(options)]);
  return [a, b];
}

/** Server-side transaction retries, as each process's /metrics reports them (if it does). */
async function serverRetries(apps: AppProcess[]): Promise<string[]> {
  return Promise.all(
    apps.map(async (app, i) => {
      const text = await fetch(`${app.url}/metrics`)
        .then((res) => (res.ok ? res.text() : ''))
        .catch(() => '');
      const lines = text
        .split('\n')
        .filter((l) => /^realtime_metadata_(retries|conflicts)_total/.test(l));
      return `process ${'AB'[i]} /metrics: ${lines.join(', ') || '(no metadata retry metrics)'}`;
    }),
  );
}

describe('metadata, locks and messages across processes (Redis engine)', () => {
  let redis: RedisServer;
  let a: AppProcess;
  let b: AppProcess;
  const sockets: TestSocket[] = [];

  const open = async (app: AppProcess, userId: string): Promise<TestSocket> => {
    const socket = await connect(app.url, userId);
    sockets.push(socket);
    return socket;
  };

  /** A socket of `userId` on `app`, joined to `roomId` as connId `<userId>-c`. */
  const member = async (app: AppProcess, userId: string, roomId: string) => {
    const socket = await open(app, userId);
    await join(socket, { roomId, connId: `${userId}-c` });
    return socket;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    [a, b] = await startPair(redis);
  });

  afterEach(() => {
    closeAll(...sockets.splice(0));
  });

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await redis?.stop();
  });

  describe('linearizable writes', () => {
    it('loses no update: 20 writers on A and B × 25 read-modify-write increments', async () => {
      const roomId = newRoom();
      const channel = roomCh(roomId);
      const writers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => member(i % 2 === 0 ? a : b, `writer-${i}`, roomId)),
      );
      const start = okData(
        await setMeta(writers[0], { ...channel, items: [{ key: 'counter', value: 0 }] }),
      );
      expect(start.majorRevision).toBe(1);
      const stats = newStats();
      const began = Date.now();
      await Promise.all(
        writers.map((socket, i) => increments(socket, i, channel, 25, stats, began + 50_000)),
      );
      const ms = Date.now() - began;
      console.log(
        summary('linearizability (20 writers x 25)', stats, ms, await serverRetries([a, b])),
      );

      const { commits } = stats;
      expect(stats.unexpected).toEqual([]);
      expect(stats.timeouts).toBe(0);
      expect(commits).toHaveLength(500);
      const final = await getMeta(writers[1], channel);
      expect(counterOf(final.items)).toEqual(
        expect.objectContaining({ value: 500, revision: 501 }),
      );
      expect(final.majorRevision - start.majorRevision).toBe(500);
      expect(new Set(commits.map((c) => c.revision)).size).toBe(500);
      expect(new Set(commits.map((c) => c.majorRevision)).size).toBe(500);
      expect(commits.filter((c) => c.value !== c.revision - 1)).toEqual([]);
      expect(realTimeViolations(commits)).toEqual([]);
    }, 60_000);

    it('commits concurrent blind writes of distinct keys all-or-nothing (BUSY writes nothing)', async () => {
      const roomId = newRoom();
      const channel = roomCh(roomId);
      const writers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => member(i % 2 === 0 ? a : b, `blind-${i}`, roomId)),
      );
      const oks = writers.map(() => 0);
      const refused: string[] = [];
      await Promise.all(
        writers.map(async (socket, i) => {
          for (let n = 0; n < 10; n++) {
            const ack = await setMeta(socket, { ...channel, items: [{ key: `k-${i}`, value: n }] });
            if (ack.ok) oks[i]++;
            else refused.push(ack.error.code);
          }
        }),
      );
      const total = oks.reduce((sum, n) => sum + n, 0);
      console.log(
        `blind writes (20 writers x 10, one channel): ${total} ok, refused ${JSON.stringify(
          refused.reduce<Record<string, number>>((m, c) => ({ ...m, [c]: (m[c] ?? 0) + 1 }), {}),
        )}\n  ${(await serverRetries([a, b])).join('\n  ')}`,
      );
      expect(refused.filter((code) => code !== 'BUSY')).toEqual([]);
      const final = await getMeta(writers[0], channel);
      expect(final.majorRevision).toBe(total);
      const revisions = Object.fromEntries(final.items.map((item) => [item.key, item.revision]));
      const expected = Object.fromEntries(
        oks.flatMap((n, i) => (n > 0 ? [[`k-${i}`, n] as const] : [])),
      );
      expect(revisions).toEqual(expected);
    }, 20_000);

    it('loses no update and makes none up while Redis kills the connections', async () => {
      /** 10 writers; enough increments that several kills land during the run (~4-6 s). */
      const PER_WRITER = 30;
      const COMMITS = 10 * PER_WRITER;
      /** A kill each time this many more writes committed: about a dozen during the run. */
      const KILL_EVERY_COMMITS = 25;
      const chaosRedis = await RedisServer.start();
      const [ca, cb] = await startPair(chaosRedis);
      const killer = new Redis(chaosRedis.url, { maxRetriesPerRequest: null });
      let killing = true;
      let kills = 0;
      let killed = 0;
      // Commits so far, once the run has begun. Kills follow progress, not the clock: on a
      // fast runtime (Node 24) the whole run once fitted between two timed kills.
      let progress = () => 0;
      const chaos = (async () => {
        let nextKillAt = 0;
        while (killing) {
          // Nothing to await but time: look at the progress every 50 ms.
          await sleep(50);
          if (!killing || progress() < nextKillAt) continue;
          nextKillAt = progress() + KILL_EVERY_COMMITS;
          killed += Number(await killer.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'));
          kills++;
        }
      })();
      try {
        const roomId = newRoom();
        const channel = roomCh(roomId);
        const writers = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            connect((i % 2 === 0 ? ca : cb).url, `chaos-${i}`).then((s) => {
              sockets.push(s);
              return s;
            }),
          ),
        );
        // Joining may meet a kill too: retry until joined.
        for (const [i, socket] of writers.entries()) {
          for (let tries = 0; ; tries++) {
            const ack = await request(socket, 'presence:join', { roomId, connId: `chaos-${i}-c` });
            if (ack.ok) break;
            if (tries > 50) throw new Error(`join failed: ${ack.error.code}`);
          }
        }
        let start: MetadataWriteResult | undefined;
        for (let tries = 0; !start; tries++) {
          const ack = await setMeta(writers[0], {
            ...channel,
            items: [{ key: 'counter', value: 0, revision: 0 }],
          });
          if (ack.ok) start = ack.data;
          else if (ack.error.code === 'REVISION_CONFLICT') {
            // An UNAVAILABLE attempt did land: the counter exists at revision 1 with 0.
            const snap = await getMeta(writers[0], channel);
            start = { majorRevision: snap.majorRevision, items: snap.items };
          } else if (tries > 50) throw new Error(`initial write failed: ${ack.error.code}`);
        }
        expect(counterOf(start.items)).toEqual(expect.objectContaining({ value: 0, revision: 1 }));

        const stats = newStats();
        progress = () => stats.commits.length + 1;
        const began = Date.now();
        const killsBefore = kills;
        await Promise.all(
          writers.map((socket, i) =>
            increments(socket, i, channel, PER_WRITER, stats, began + 40_000),
          ),
        );
        const ms = Date.now() - began;
        const killsDuring = kills - killsBefore;
        killing = false;
        await chaos;
        console.log(
          summary(
            `under CLIENT KILL every ${KILL_EVERY_COMMITS} commits (${kills} kills, ${killsDuring} during the run, ${killed} connections; 10 writers x ${PER_WRITER})`,
            stats,
            ms,
            await serverRetries([ca, cb]),
          ),
        );

        // Both processes survived and recover.
        expect(ca.child.exitCode).toBeNull();
        expect(cb.child.exitCode).toBeNull();
        await Promise.all([ca.waitReady(), cb.waitReady()]);

        expect(killsDuring).toBeGreaterThanOrEqual(1);
        expect(stats.unexpected).toEqual([]);
        expect(stats.timeouts).toBe(0);
        const { commits } = stats;
        expect(commits).toHaveLength(COMMITS);
        let final: MetadataSnapshot | undefined;
        for (let tries = 0; !final; tries++) {
          const ack = await request<MetadataSnapshot>(writers[1], 'metadata:get', channel);
          if (ack.ok) final = ack.data;
          else if (tries > 50) throw new Error(`final read failed: ${ack.error.code}`);
        }
        const counter = counterOf(final.items);
        // Every committed write added exactly 1 to the value it read: value = revision - 1.
        expect(counter?.value).toBe((counter?.revision ?? 0) - 1);
        // Only the counter was written: one majorRevision per counter revision.
        expect(final.majorRevision).toBe(counter?.revision);
        // Acked commits are all committed; uncertain (UNAVAILABLE) ones may have landed too.
        const committed = (counter?.revision ?? 0) - 1;
        expect(committed).toBeGreaterThanOrEqual(COMMITS);
        expect(committed).toBeLessThanOrEqual(COMMITS + stats.unavailable);
        expect(new Set(commits.map((c) => c.value)).size).toBe(COMMITS);
        expect(new Set(commits.map((c) => c.revision)).size).toBe(COMMITS);
        expect(commits.filter((c) => c.value !== c.revision - 1)).toEqual([]);
        expect(realTimeViolations(commits)).toEqual([]);
      } finally {
        killing = false;
        await chaos.catch(() => {});
        killer.disconnect();
        closeAll(...sockets.splice(0));
        await Promise.all([ca.kill(), cb.kill()]);
        await chaosRedis.stop();
      }
    }, 60_000);
  });

  describe('locks', () => {
    it('grants a lock to exactly one of 10 racing clients; expiry reaches both processes once', async () => {
      const roomId = newRoom();
      const channel = roomCh(roomId);
      const lockName = newLock();
      const clients = await Promise.all(
        Array.from({ length: 10 }, (_, i) => member(i % 2 === 0 ? a : b, `racer-${i}`, roomId)),
      );
      const seen = clients.map((s) => record<LockEvent>(s, 'lock:event'));
      const acks = await Promise.all(
        clients.map((s) => acquire(s, { ...channel, lockName, ttlMs: 1000 })),
      );
      const winners = acks.flatMap((ack, i) => (ack.ok ? [i] : []));
      expect(winners).toHaveLength(1);
      const w = winners[0];
      const grant = okData(acks[w]);
      expect(grant.owner).toBe(`racer-${w}`);
      for (const [i, ack] of acks.entries()) {
        if (i !== w) {
          expect(errorOf(ack, 'LOCK_HELD').details).toEqual({
            owner: grant.owner,
            expiresAt: grant.expiresAt,
          });
        }
      }
      const written = okData(
        await setMeta(clients[w], { ...channel, items: [{ key: 'a', value: 1 }], lockName }),
      );

      const expiredWithin = grant.expiresAt - Date.now() + EXPIRY_ANNOUNCED_MS;
      await Promise.all(
        clients.map((s, i) =>
          untilRecorded(
            s,
            'lock:event',
            seen[i],
            (e) => e.some((x) => x.type === 'expired'),
            expiredWithin,
          ),
        ),
      );
      // The lapsed holder writes nothing under the lock.
      errorOf(
        await setMeta(clients[w], { ...channel, items: [{ key: 'a', value: 2 }], lockName }),
        'LOCK_NOT_HELD',
      );
      errorOf(await removeMeta(clients[w], { ...channel, lockName }), 'LOCK_NOT_HELD');
      expect(await getMeta(clients[(w + 1) % 10], channel)).toEqual({ ...channel, ...written });

      // The next holder, on the other process, gets a larger token.
      const nextIdx = (w + 1) % 10;
      const next = okData(await acquire(clients[nextIdx], { ...channel, lockName, ttlMs: 5000 }));
      expect(next.token).toBeGreaterThan(grant.token);
      await Promise.all(
        clients.map((s, i) => untilRecorded(s, 'lock:event', seen[i], (e) => e.length >= 3)),
      );
      for (const events of seen) {
        expect(events.map((e) => [e.type, e.owner, e.lockName])).toEqual([
          ['acquired', grant.owner, lockName],
          ['expired', grant.owner, lockName],
          ['acquired', next.owner, lockName],
        ]);
      }
    }, 20_000);

    it('announces acquired and released on both processes', async () => {
      const roomId = newRoom();
      const channel = roomCh(roomId);
      const lockName = newLock();
      const onA = await member(a, 'alice', roomId);
      const onB = await member(b, 'bob', roomId);
      const seenA = record<LockEvent>(onA, 'lock:event');
      const seenB = record<LockEvent>(onB, 'lock:event');
      okData(await acquire(onB, { ...channel, lockName, ttlMs: 10_000 }));
      okData(await request(onB, 'lock:release', { ...channel, lockName }));
      okData(await acquire(onA, { ...channel, lockName, ttlMs: 10_000 }));
      // The holder leaving the room releases it, seen on the other process.
      await requestOk(onA, 'presence:leave', { roomId, connId: 'alice-c' });
      await untilRecorded(onB, 'lock:event', seenB, (e) => e.length >= 4);
      await untilRecorded(onA, 'lock:event', seenA, (e) => e.length >= 3);
      const types = (events: LockEvent[]) => events.map((e) => [e.type, e.owner]);
      expect(types(seenB)).toEqual([
        ['acquired', 'bob'],
        ['released', 'bob'],
        ['acquired', 'alice'],
        ['released', 'alice'],
      ]);
      expect(types(seenA)).toEqual(types(seenB).slice(0, 3));
      expect(await requestOk(onB, 'lock:list', channel)).toEqual({ locks: [] });
    });
  });

  describe('events on both processes', () => {
    it('sends a write on A to the members on A and B, not to the writer', async () => {
      const roomId = newRoom();
      const channel = roomCh(roomId);
      const alice = await member(a, 'alice', roomId);
      const bob = await member(a, 'bob', roomId);
      const carol = await member(b, 'carol', roomId);
      const seen = [alice, bob, carol].map((s) => record<MetadataEvent>(s, 'metadata:event'));
      okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }));
      okData(await updateMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }] }));
      okData(await removeMeta(alice, { ...channel, keys: ['a'] }));
      await untilRecorded(bob, 'metadata:event', seen[1], (e) => e.length >= 3);
      await untilRecorded(carol, 'metadata:event', seen[2], (e) => e.length >= 3);
      const expected = [
        ['set', 1, [anItem('a', 1, 1, 'alice')]],
        ['update', 2, [anItem('a', 2, 2, 'alice')]],
        ['remove', 3, [{ key: 'a' }]],
      ];
      const shape = (events: MetadataEvent[]) =>
        events.map((e) => [e.type, e.majorRevision, e.items]);
      expect(shape(seen[1])).toEqual(expected);
      expect(shape(seen[2])).toEqual(expected);
      expect(seen[2].every((e) => e.authorUserId === 'alice' && e.channelName === roomId)).toBe(
        true,
      );
      // Carol's write on B reaches Alice: she got none of her own before it.
      okData(await setMeta(carol, { ...channel, items: [{ key: 'c', value: 1 }] }));
      await untilRecorded(alice, 'metadata:event', seen[0], (e) => e.length >= 1);
      expect(shape(seen[0])).toEqual([['set', 4, [anItem('c', 1, 1, 'carol')]]]);
    });

    it('sends user-channel events to subscribers on the other process', async () => {
      const owner = 'olga-cluster';
      const olga = await open(a, owner);
      const sub = await open(b, 'subscriber');
      okData(await request(sub, 'metadata:subscribe', userCh(owner)));
      const heard = nextEvent<MetadataEvent>(sub, 'metadata:event');
      const written = okData(
        await setMeta(olga, { ...userCh(owner), items: [{ key: 'mood', value: 'ok' }] }),
      );
      expect(await heard).toEqual({
        ...userCh(owner),
        type: 'set',
        majorRevision: written.majorRevision,
        items: [anItem('mood', 'ok', 1, owner)],
        authorUserId: owner,
        ts: expect.any(Number),
      });
      expect(await getMeta(sub, userCh(owner))).toEqual({ ...userCh(owner), ...written });
    });

    it('relays room messages across processes, never to the sender', async () => {
      const roomId = newRoom();
      const alice = await member(a, 'alice', roomId);
      const carol = await member(b, 'carol', roomId);
      const aliceSeen = record<RoomMessage>(alice, 'room:message');
      const carolSeen = record<RoomMessage>(carol, 'room:message');
      const sent = await requestOk<{ id: string; ts: number }>(carol, 'room:message', {
        roomId,
        data: { hi: 1 },
      });
      await untilRecorded(alice, 'room:message', aliceSeen, (m) => m.length >= 1);
      expect(aliceSeen).toEqual([
        {
          roomId,
          id: sent.id,
          from: { userId: 'carol', connId: 'carol-c' },
          type: 'message',
          data: { hi: 1 },
          ts: sent.ts,
        },
      ]);
      okData(await request(alice, 'room:message', { roomId, type: 'reply', data: 2 }));
      await untilRecorded(carol, 'room:message', carolSeen, (m) => m.length >= 1);
      expect(carolSeen.map((m) => [m.from.userId, m.type, m.data])).toEqual([
        ['alice', 'reply', 2],
      ]);
    });
  });

  describe('authorization across processes', () => {
    it('refuses non-members, other users and other holders with exact codes, writing nothing', async () => {
      const roomId = newRoom();
      const channel = roomCh(roomId);
      const lockName = newLock();
      const alice = await member(a, 'alice', roomId);
      const carol = await member(b, 'carol', roomId);
      const eve = await open(b, 'eve');
      const roomState = okData(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }] }),
      );
      const userState = okData(
        await setMeta(alice, { ...userCh('alice'), items: [{ key: 'u', value: 1 }] }),
      );
      const roomLock = okData(await acquire(alice, { ...channel, lockName, ttlMs: 60_000 }));
      const userLock = okData(
        await acquire(alice, { ...userCh('alice'), lockName, ttlMs: 60_000 }),
      );
      const item = { key: 'a', value: 'evil' };

      const cases: [string, string, TestSocket, unknown][] = [
        ['FORBIDDEN', 'metadata:get', eve, channel],
        ['FORBIDDEN', 'metadata:set', eve, { ...channel, items: [item] }],
        ['FORBIDDEN', 'metadata:update', eve, { ...channel, items: [item] }],
        ['FORBIDDEN', 'metadata:remove', eve, { ...channel }],
        ['FORBIDDEN', 'lock:acquire', eve, { ...channel, lockName: newLock(), ttlMs: 5000 }],
        ['FORBIDDEN', 'lock:list', eve, channel],
        ['NOT_JOINED', 'room:message', eve, { roomId, data: 1 }],
        ['FORBIDDEN', 'metadata:set', eve, { ...userCh('alice'), items: [item] }],
        ['FORBIDDEN', 'metadata:remove', carol, { ...userCh('alice') }],
        ['FORBIDDEN', 'metadata:set', carol, { ...userCh('alice'), items: [item], lockName }],
        ['FORBIDDEN', 'lock:acquire', carol, { ...userCh('alice'), lockName, ttlMs: 5000 }],
        [
          'FORBIDDEN',
          'lock:acquire',
          eve,
          { ...userCh('alice'), lockName: newLock(), ttlMs: 5000 },
        ],
        ['LOCK_HELD', 'lock:acquire', carol, { ...channel, lockName, ttlMs: 5000 }],
        ['LOCK_NOT_HELD', 'lock:renew', carol, { ...channel, lockName, ttlMs: 5000 }],
        ['LOCK_NOT_HELD', 'lock:release', carol, { ...channel, lockName }],
        ['LOCK_NOT_HELD', 'lock:release', eve, { ...userCh('alice'), lockName }],
        ['LOCK_NOT_HELD', 'metadata:set', carol, { ...channel, items: [item], lockName }],
        ['LOCK_NOT_HELD', 'metadata:remove', carol, { ...channel, lockName }],
      ];
      for (const [code, event, socket, payload] of cases) {
        const ack = await request(socket, event, payload);
        expect([event, payload, ack.ok ? 'ok' : ack.error.code]).toEqual([event, payload, code]);
      }

      // Read back on both processes: nothing was written, the locks are Alice's as granted.
      for (const reader of [alice, carol]) {
        expect(await getMeta(reader, channel)).toEqual({ ...channel, ...roomState });
        expect(await getMeta(reader, userCh('alice'))).toEqual({
          ...userCh('alice'),
          ...userState,
        });
        expect(await requestOk(reader, 'lock:list', channel)).toEqual({
          locks: [{ lockName, owner: 'alice', expiresAt: roomLock.expiresAt }],
        });
        expect(await requestOk(reader, 'lock:list', userCh('alice'))).toEqual({
          locks: [{ lockName, owner: 'alice', expiresAt: userLock.expiresAt }],
        });
      }

      // A member on B who leaves loses access at once, also as seen by A.
      await requestOk(carol, 'presence:leave', { roomId, connId: 'carol-c' });
      errorOf(await request(carol, 'metadata:get', channel), 'FORBIDDEN');
      errorOf(await setMeta(carol, { ...channel, items: [item] }), 'FORBIDDEN');
      errorOf(await request(carol, 'room:message', { roomId, data: 1 }), 'NOT_JOINED');
      expect(await getMeta(alice, channel)).toEqual({ ...channel, ...roomState });
    });
  });
});
