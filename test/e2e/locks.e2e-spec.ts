import { setTimeout as sleep } from 'node:timers/promises';
import type { LockEvent, PresenceEvent } from '@avalon-realtime/client/protocol';
import { AppProcess, NO_RATE_LIMITS } from '../support/app.js';
import {
  closeAndWait,
  dropTransport,
  nextEvent,
  record,
  request,
  requestOk,
  untilRecorded,
} from '../support/client.js';
import {
  acquire,
  anItem,
  errorOf,
  getMeta,
  okData,
  removeMeta,
  setMeta,
  userCh,
} from './metadata-helpers.js';
import { joinSeenBy } from './presence-helpers.js';
import { TestClients } from './test-clients.js';

const REAPER_INTERVAL_MS = 200;
/** PROTOCOL: a lapse is announced within REAPER_INTERVAL_MS + 1 s; plus slack for a busy CI. */
const EXPIRY_ANNOUNCED_MS = REAPER_INTERVAL_MS + 1000 + 1500;

let roomCounter = 0;
const newRoom = () => `lroom-${++roomCounter}`;
let lockCounter = 0;
const newLock = () => `lock-${++lockCounter}`;

const lockEvent = (
  channel: { channelType: string; channelName: string },
  lockName: string,
  type: string,
  owner: string,
) => ({ ...channel, lockName, type, owner, ts: expect.any(Number) });

describe('lease locks (memory engine)', () => {
  /** REAPER_INTERVAL_MS=200: lapses are announced quickly. */
  let app: AppProcess;
  /** A reaper that never runs during a test: a lapsed lock stays until someone claims it. */
  let slow: AppProcess;
  const clients = new TestClients();
  const open = (target: AppProcess, userId: string) => clients.open(target.url, userId);
  const roomWith = (target: AppProcess, ...users: string[]) =>
    clients.roomWith(target.url, newRoom(), ...users);

  beforeAll(async () => {
    [app, slow] = await Promise.all([
      AppProcess.start({
        env: { ...NO_RATE_LIMITS, REAPER_INTERVAL_MS: String(REAPER_INTERVAL_MS) },
      }),
      AppProcess.start({ env: { ...NO_RATE_LIMITS, REAPER_INTERVAL_MS: '600000' } }),
    ]);
  });

  afterEach(() => clients.closeAll());

  afterAll(async () => {
    await Promise.all([app?.kill(), slow?.kill()]);
  });

  describe('acquire, renew, release', () => {
    it('grants a free lock with an integer fencing token', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith(app, 'alice');
      const lockName = newLock();
      const before = Date.now();
      const grant = okData(await acquire(alice, { ...channel, lockName, ttlMs: 5000 }));
      const after = Date.now();
      expect(grant).toEqual({
        lockName,
        owner: 'alice',
        token: expect.any(Number),
        expiresAt: expect.any(Number),
      });
      expect(Number.isSafeInteger(grant.token)).toBe(true);
      expect(grant.expiresAt).toBeGreaterThanOrEqual(before + 5000 - 50);
      expect(grant.expiresAt).toBeLessThanOrEqual(after + 5000 + 50);
    });

    it('extends a lock its holder acquires again, keeping the token and announcing nothing', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      const seen = record<LockEvent>(bob, 'lock:event');
      const first = okData(await acquire(alice, { ...channel, lockName, ttlMs: 2000 }));
      const again = okData(await acquire(alice, { ...channel, lockName, ttlMs: 60_000 }));
      expect(again).toEqual({ ...first, expiresAt: expect.any(Number) });
      expect(again.expiresAt).toBeGreaterThan(first.expiresAt);
      expect(await requestOk(bob, 'lock:list', channel)).toEqual({
        locks: [{ lockName, owner: 'alice', expiresAt: again.expiresAt }],
      });
      // The release's event proves no second `acquired` came before it.
      expect(await request(alice, 'lock:release', { ...channel, lockName })).toEqual({
        ok: true,
        data: { released: true },
      });
      await untilRecorded(bob, 'lock:event', seen, (e) => e.length >= 2);
      expect(seen).toEqual([
        lockEvent(channel, lockName, 'acquired', 'alice'),
        lockEvent(channel, lockName, 'released', 'alice'),
      ]);
    });

    it('answers LOCK_HELD with the owner and expiry to another user', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      const grant = okData(await acquire(alice, { ...channel, lockName, ttlMs: 10_000 }));
      const held = errorOf(
        await acquire(bob, { ...channel, lockName, ttlMs: 10_000 }),
        'LOCK_HELD',
      );
      expect(held.details).toEqual({ owner: 'alice', expiresAt: grant.expiresAt });
      // Another lock name on the same channel is independent.
      const other = okData(await acquire(bob, { ...channel, lockName: newLock(), ttlMs: 1000 }));
      expect(other.owner).toBe('bob');
    });

    it('renews and releases for the holder only; others get LOCK_NOT_HELD', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      const granted = nextEvent<LockEvent>(bob, 'lock:event', (e) => e.type === 'acquired');
      const grant = okData(await acquire(alice, { ...channel, lockName, ttlMs: 2000 }));
      await granted; // so the release below is the only event bob records

      errorOf(
        await request(bob, 'lock:renew', { ...channel, lockName, ttlMs: 5000 }),
        'LOCK_NOT_HELD',
      );
      errorOf(await request(bob, 'lock:release', { ...channel, lockName }), 'LOCK_NOT_HELD');
      errorOf(
        await request(alice, 'lock:renew', { ...channel, lockName: newLock(), ttlMs: 5000 }),
        'LOCK_NOT_HELD',
      );
      errorOf(
        await request(alice, 'lock:release', { ...channel, lockName: newLock() }),
        'LOCK_NOT_HELD',
      );
      const listed = await requestOk<{ locks: unknown[] }>(alice, 'lock:list', channel);
      expect(listed.locks).toEqual([{ lockName, owner: 'alice', expiresAt: grant.expiresAt }]);

      const renewed = await requestOk<{ expiresAt: number }>(alice, 'lock:renew', {
        ...channel,
        lockName,
        ttlMs: 60_000,
      });
      expect(renewed).toEqual({ expiresAt: expect.any(Number) });
      expect(renewed.expiresAt).toBeGreaterThan(grant.expiresAt);

      const seen = record<LockEvent>(bob, 'lock:event');
      expect(await request(alice, 'lock:release', { ...channel, lockName })).toEqual({
        ok: true,
        data: { released: true },
      });
      await untilRecorded(bob, 'lock:event', seen, (e) => e.length >= 1);
      expect(seen).toEqual([lockEvent(channel, lockName, 'released', 'alice')]);
      errorOf(await request(alice, 'lock:release', { ...channel, lockName }), 'LOCK_NOT_HELD');
      errorOf(
        await request(alice, 'lock:renew', { ...channel, lockName, ttlMs: 5000 }),
        'LOCK_NOT_HELD',
      );
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });

      const next = okData(await acquire(bob, { ...channel, lockName, ttlMs: 5000 }));
      expect(next.token).toBeGreaterThan(grant.token);
    });

    it('bounds ttlMs to 1000..300000 (BAD_REQUEST outside)', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith(app, 'alice');
      const lockName = newLock();
      for (const ttlMs of [999, 300_001, 1500.5, '5000', null, 0, -1]) {
        const ack = await acquire(alice, { ...channel, lockName, ttlMs });
        expect([ttlMs, ack.ok ? 'ok' : ack.error.code]).toEqual([ttlMs, 'BAD_REQUEST']);
      }
      errorOf(await acquire(alice, { ...channel, lockName }), 'BAD_REQUEST');
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });
      okData(await acquire(alice, { ...channel, lockName, ttlMs: 1000 }));
      okData(await acquire(alice, { ...channel, lockName, ttlMs: 300_000 }));
      errorOf(
        await request(alice, 'lock:renew', { ...channel, lockName, ttlMs: 999 }),
        'BAD_REQUEST',
      );
      errorOf(
        await request(alice, 'lock:renew', { ...channel, lockName, ttlMs: 300_001 }),
        'BAD_REQUEST',
      );
      errorOf(
        await acquire(alice, { ...channel, lockName: 'bad name', ttlMs: 1000 }),
        'BAD_REQUEST',
      );
      errorOf(await acquire(alice, { ...channel, lockName, ttlMs: 1000, extra: 1 }), 'BAD_REQUEST');
    });

    it('lists the unexpired locks of a channel without their tokens', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });
      const l1 = newLock();
      const l2 = newLock();
      const g1 = okData(await acquire(alice, { ...channel, lockName: l1, ttlMs: 10_000 }));
      const g2 = okData(await acquire(bob, { ...channel, lockName: l2, ttlMs: 10_000 }));
      const { locks } = await requestOk<{ locks: { lockName: string }[] }>(
        bob,
        'lock:list',
        channel,
      );
      const byName = (p: { lockName: string }, q: { lockName: string }) =>
        p.lockName.localeCompare(q.lockName);
      expect([...locks].sort(byName)).toEqual(
        [
          { lockName: l1, owner: 'alice', expiresAt: g1.expiresAt },
          { lockName: l2, owner: 'bob', expiresAt: g2.expiresAt },
        ].sort(byName),
      );
    });
  });

  describe('events and expiry', () => {
    it('announces acquired and released to every room member', async () => {
      const {
        channel,
        sockets: [alice, bob, carol],
      } = await roomWith(app, 'alice', 'bob', 'carol');
      const lockName = newLock();
      const seen = [alice, bob, carol].map((s) => record<LockEvent>(s, 'lock:event'));
      okData(await acquire(bob, { ...channel, lockName, ttlMs: 10_000 }));
      okData(await request(bob, 'lock:release', { ...channel, lockName }));
      const expected = [
        lockEvent(channel, lockName, 'acquired', 'bob'),
        lockEvent(channel, lockName, 'released', 'bob'),
      ];
      for (const [i, socket] of [alice, bob, carol].entries()) {
        await untilRecorded(socket, 'lock:event', seen[i], (e) => e.length >= 2);
        expect(seen[i]).toEqual(expected);
      }
    });

    it('announces a lapse (expired) unclaimed, once, and the next holder gets a larger token', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      const seen = record<LockEvent>(bob, 'lock:event');
      const grant = okData(await acquire(alice, { ...channel, lockName, ttlMs: 1000 }));
      const expired = await nextEvent<LockEvent>(
        bob,
        'lock:event',
        (e) => e.lockName === lockName && e.type === 'expired',
        grant.expiresAt - Date.now() + EXPIRY_ANNOUNCED_MS,
      );
      expect(expired).toEqual(lockEvent(channel, lockName, 'expired', 'alice'));
      expect(expired.ts).toBeGreaterThanOrEqual(grant.expiresAt);
      expect(expired.ts).toBeLessThanOrEqual(grant.expiresAt + REAPER_INTERVAL_MS + 1000);
      expect(await requestOk(bob, 'lock:list', channel)).toEqual({ locks: [] });

      const next = okData(await acquire(bob, { ...channel, lockName, ttlMs: 5000 }));
      expect(next.owner).toBe('bob');
      expect(next.token).toBeGreaterThan(grant.token);
      await untilRecorded(bob, 'lock:event', seen, (e) => e.length >= 3);
      expect(seen).toEqual([
        lockEvent(channel, lockName, 'acquired', 'alice'),
        lockEvent(channel, lockName, 'expired', 'alice'),
        lockEvent(channel, lockName, 'acquired', 'bob'),
      ]);
    });

    it('announces expired before acquired when a lapsed lock is claimed before any sweep', async () => {
      const {
        channel,
        sockets: [alice, bob, carol],
      } = await roomWith(slow, 'alice', 'bob', 'carol');
      const lockName = newLock();
      const seen = record<LockEvent>(carol, 'lock:event');
      const grant = okData(await acquire(alice, { ...channel, lockName, ttlMs: 1000 }));
      okData(await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }], lockName }));
      // Nothing announces a lapse on this process (its reaper is idle): wait it out.
      await sleep(grant.expiresAt - Date.now() + 50);

      // The lapsed holder writes nothing under the lock.
      errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }], lockName }),
        'LOCK_NOT_HELD',
      );
      errorOf(await removeMeta(alice, { ...channel, lockName }), 'LOCK_NOT_HELD');
      errorOf(
        await request(alice, 'lock:renew', { ...channel, lockName, ttlMs: 5000 }),
        'LOCK_NOT_HELD',
      );
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });
      const snapshot = await getMeta(carol, channel);
      expect(snapshot).toEqual({
        ...channel,
        majorRevision: 1,
        items: [anItem('a', 1, 1, 'alice')],
      });

      const next = okData(await acquire(bob, { ...channel, lockName, ttlMs: 5000 }));
      expect(next.token).toBeGreaterThan(grant.token);
      await untilRecorded(carol, 'lock:event', seen, (e) => e.length >= 3);
      expect(seen).toEqual([
        lockEvent(channel, lockName, 'acquired', 'alice'),
        lockEvent(channel, lockName, 'expired', 'alice'),
        lockEvent(channel, lockName, 'acquired', 'bob'),
      ]);
    });

    it('re-grants a lapsed lock to its former holder with a new token', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(slow, 'alice', 'bob');
      const lockName = newLock();
      const seen = record<LockEvent>(bob, 'lock:event');
      const grant = okData(await acquire(alice, { ...channel, lockName, ttlMs: 1000 }));
      await sleep(grant.expiresAt - Date.now() + 50);
      const again = okData(await acquire(alice, { ...channel, lockName, ttlMs: 5000 }));
      expect(again.token).toBeGreaterThan(grant.token);
      await untilRecorded(bob, 'lock:event', seen, (e) => e.length >= 3);
      expect(seen.map((e) => [e.type, e.owner])).toEqual([
        ['acquired', 'alice'],
        ['expired', 'alice'],
        ['acquired', 'alice'],
      ]);
    });

    it('releases the locks of an owner who leaves the room (presence:leave)', async () => {
      const {
        roomId,
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      okData(await acquire(bob, { ...channel, lockName, ttlMs: 60_000 }));
      const released = nextEvent<LockEvent>(alice, 'lock:event', (e) => e.type === 'released');
      await requestOk(bob, 'presence:leave', { roomId, connId: 'bob-c' });
      expect(await released).toEqual(lockEvent(channel, lockName, 'released', 'bob'));
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });
      okData(await acquire(alice, { ...channel, lockName, ttlMs: 5000 }));
    });

    it('releases the locks of an owner who disconnects', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      okData(await acquire(bob, { ...channel, lockName, ttlMs: 60_000 }));
      const released = nextEvent<LockEvent>(alice, 'lock:event', (e) => e.type === 'released');
      await closeAndWait(bob);
      expect(await released).toEqual(lockEvent(channel, lockName, 'released', 'bob'));
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });
    });

    it('keeps the lock while its owner is still present (another connection, or away)', async () => {
      const {
        roomId,
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      const bobPhone = await open(app, 'bob');
      await joinSeenBy(alice, bobPhone, { roomId, connId: 'bob-phone' });
      const granted = nextEvent<LockEvent>(alice, 'lock:event', (e) => e.type === 'acquired');
      const grant = okData(await acquire(bob, { ...channel, lockName, ttlMs: 60_000 }));
      await granted; // the grant's event travels apart from the ack: record only after it
      const seen = record<LockEvent>(alice, 'lock:event');

      const leaveSeen = nextEvent<PresenceEvent>(
        alice,
        'presence:event',
        (e) => e.type === 'leave',
      );
      await requestOk(bob, 'presence:leave', { roomId, connId: 'bob-c' });
      await leaveSeen;
      // A lost transport leaves the member away, still present.
      const awaySeen = nextEvent<PresenceEvent>(
        alice,
        'presence:event',
        (e) => e.type === 'update' && e.member?.status === 'away',
      );
      await dropTransport(bobPhone);
      await awaySeen;
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({
        locks: [{ lockName, owner: 'bob', expiresAt: grant.expiresAt }],
      });
      // Bob comes back on a new socket and releases: the only lock event since is that one.
      const back = await open(app, 'bob');
      okData(await request(back, 'lock:release', { ...channel, lockName }));
      await untilRecorded(alice, 'lock:event', seen, (e) => e.length >= 1);
      expect(seen).toEqual([lockEvent(channel, lockName, 'released', 'bob')]);
    });
  });

  describe('metadata writes under a lock', () => {
    it('writes with a held lock, and refuses a lock not held (LOCK_NOT_HELD, nothing written)', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const mine = newLock();
      const theirs = newLock();
      okData(await acquire(alice, { ...channel, lockName: mine, ttlMs: 60_000 }));
      okData(await acquire(bob, { ...channel, lockName: theirs, ttlMs: 60_000 }));

      const written = okData(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }], lockName: mine }),
      );
      expect(written).toEqual({ majorRevision: 1, items: [anItem('a', 1, 1, 'alice')] });

      const attempts = [
        () => setMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }], lockName: theirs }),
        () => setMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }], lockName: newLock() }),
        () =>
          request(alice, 'metadata:update', {
            ...channel,
            items: [{ key: 'a', value: 2 }],
            lockName: theirs,
          }),
        () => removeMeta(alice, { ...channel, lockName: theirs }),
        () => setMeta(bob, { ...channel, items: [{ key: 'a', value: 3 }], lockName: mine }),
        () => removeMeta(bob, { ...channel, keys: ['a'], lockName: mine }),
      ];
      for (const attempt of attempts) {
        errorOf(await attempt(), 'LOCK_NOT_HELD');
      }
      expect(await getMeta(bob, channel)).toEqual({ ...channel, ...written });

      okData(await request(alice, 'lock:release', { ...channel, lockName: mine }));
      errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 4 }], lockName: mine }),
        'LOCK_NOT_HELD',
      );
      const removed = okData(await removeMeta(bob, { ...channel, keys: ['a'], lockName: theirs }));
      expect(removed).toEqual({ majorRevision: 2, items: [] });
    });

    it('refuses a holder whose lock lapsed and was announced expired', async () => {
      const {
        channel,
        sockets: [alice, bob],
      } = await roomWith(app, 'alice', 'bob');
      const lockName = newLock();
      const grant = okData(await acquire(alice, { ...channel, lockName, ttlMs: 1000 }));
      const written = okData(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 1 }], lockName }),
      );
      await nextEvent<LockEvent>(
        bob,
        'lock:event',
        (e) => e.lockName === lockName && e.type === 'expired',
        grant.expiresAt - Date.now() + EXPIRY_ANNOUNCED_MS,
      );
      errorOf(
        await setMeta(alice, { ...channel, items: [{ key: 'a', value: 2 }], lockName }),
        'LOCK_NOT_HELD',
      );
      expect(await getMeta(bob, channel)).toEqual({ ...channel, ...written });
    });
  });

  describe('access', () => {
    it('refuses room-channel locks to non-members (FORBIDDEN)', async () => {
      const {
        channel,
        sockets: [alice],
      } = await roomWith(app, 'alice');
      const eve = await open(app, 'eve');
      const lockName = newLock();
      errorOf(await acquire(eve, { ...channel, lockName, ttlMs: 5000 }), 'FORBIDDEN');
      errorOf(await request(eve, 'lock:list', channel), 'FORBIDDEN');
      expect(await requestOk(alice, 'lock:list', channel)).toEqual({ locks: [] });
      okData(await acquire(alice, { ...channel, lockName, ttlMs: 5000 }));
    });

    it('lets only the owner lock a user channel (FORBIDDEN otherwise)', async () => {
      const olga = await open(app, 'olga-locks');
      const eve = await open(app, 'eve');
      const channel = userCh('olga-locks');
      const lockName = newLock();
      errorOf(await acquire(eve, { ...channel, lockName, ttlMs: 5000 }), 'FORBIDDEN');
      expect(await requestOk(eve, 'lock:list', channel)).toEqual({ locks: [] });
      const grant = okData(await acquire(olga, { ...channel, lockName, ttlMs: 5000 }));
      expect(grant.owner).toBe('olga-locks');
      errorOf(await acquire(eve, { ...channel, lockName, ttlMs: 5000 }), 'FORBIDDEN');
      errorOf(await request(eve, 'lock:release', { ...channel, lockName }), 'LOCK_NOT_HELD');
      expect(await requestOk(eve, 'lock:list', channel)).toEqual({
        locks: [{ lockName, owner: 'olga-locks', expiresAt: grant.expiresAt }],
      });
      okData(await setMeta(olga, { ...channel, items: [{ key: 'a', value: 1 }], lockName }));
    });
  });
});
