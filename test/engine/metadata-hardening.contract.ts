import type { ChannelRef } from '@avalon-realtime/client/protocol';
import type { MetadataEngine } from '../../src/engine/metadata.engine.js';
import {
  errorOf,
  LOCK_TTL_MS,
  MAX_LOCKS,
  room,
  setCmd,
  type MetadataHarness,
} from './metadata-engine.contract.js';

const LONG_TTL_MS = 60_000;
/** A channel's retention in these tests: short enough to wait out for real on Redis. */
const RETENTION_MS = 300;

/**
 * Ids that spell protocol error codes, the lock scripts' status words, the field names
 * of the stored records and JavaScript property names: each must behave like any other.
 */
export const HOSTILE_IDS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'OK',
  'LOCK_HELD',
  'LOCK_NOT_HELD',
  'PAYLOAD_TOO_LARGE',
  'FORBIDDEN',
  'EXPIRED',
  'LIVE',
  'ABSENT',
  'major',
  'i:major',
  'owner',
  'token',
  'expiresAt',
];

/**
 * Version 2 cases of the MetadataEngine contract: opaque ids, the lock limit, nothing
 * stored that no one wrote, and room channel retention. Every engine runs it unchanged.
 */
export function describeMetadataHardening(
  name: string,
  makeEngine: () => Promise<MetadataHarness>,
): void {
  describe(`MetadataEngine contract, version 2: ${name}`, () => {
    let h: MetadataHarness;
    beforeEach(async () => {
      h = await makeEngine();
      await h.engine.ready();
    });
    afterEach(async () => {
      await h.engine.close();
      await h.cleanup();
    });
    describeCases(
      () => h,
      () => h.engine,
    );
  });
}

function describeCases(harness: () => MetadataHarness, engine: () => MetadataEngine): void {
  describe('opaque ids', () => {
    it('stores, reads, updates and removes items keyed by hostile words', async () => {
      const items = HOSTILE_IDS.map((key, i) => ({ key, value: { key, i } }));
      const written = await engine().write(setCmd(items));
      expect(written.items.map((i) => i.key)).toStrictEqual([...HOSTILE_IDS].sort(byCode));
      const read = await engine().read(room());
      expect(read.items.map((i) => [i.key, i.value, i.revision])).toStrictEqual(
        [...HOSTILE_IDS].sort(byCode).map((key) => [key, { key, i: HOSTILE_IDS.indexOf(key) }, 1]),
      );
      const updated = await engine().write(
        setCmd([{ key: '__proto__', value: 'plain', revision: 1 }], { kind: 'update' }),
      );
      expect(updated.written).toMatchObject([{ key: '__proto__', value: 'plain', revision: 2 }]);
      const conflict = await errorOf(
        engine().write(setCmd([{ key: 'constructor', value: 1, revision: 7 }])),
      );
      expect(conflict.details).toStrictEqual({
        majorRevision: 2,
        items: [{ key: 'constructor', revision: 1 }],
      });
      const missing = await errorOf(
        engine().write(
          setCmd([{ key: 'prototype', value: 1 }], { kind: 'update', channel: room('toString') }),
        ),
      );
      expect(missing.code).toBe('NOT_FOUND');
      const removed = await engine().write({
        channel: room(),
        kind: 'remove',
        keys: ['__proto__', 'valueOf', 'nope'],
        authorUserId: 'u1',
      });
      expect(removed.removed.sort(byCode)).toStrictEqual(['__proto__', 'valueOf']);
      expect(removed.items).toHaveLength(HOSTILE_IDS.length - 2);
    });

    it.each(HOSTILE_IDS)(
      'keeps channel, lock and owner named %s apart from the others',
      async (id) => {
        const channel: ChannelRef = { channelType: 'room', channelName: id };
        const grant = await engine().acquireLock(channel, id, id, LONG_TTL_MS, MAX_LOCKS);
        expect(grant).toMatchObject({ acquired: true, grant: { lockName: id, owner: id } });
        const held = await errorOf(engine().acquireLock(channel, id, 'u2', LONG_TTL_MS, MAX_LOCKS));
        expect(held).toMatchObject({ code: 'LOCK_HELD', details: { owner: id } });
        await engine().write(
          setCmd([{ key: id, value: id }], { channel, lockName: id, authorUserId: id }),
        );
        expect(await engine().read(channel)).toMatchObject({
          majorRevision: 1,
          items: [{ key: id, value: id, authorUserId: id }],
        });
        expect(await engine().listLocks(channel)).toStrictEqual([
          { lockName: id, owner: id, expiresAt: grant.grant.expiresAt },
        ]);
        expect(await engine().listLocks(room())).toStrictEqual([]);
        expect((await errorOf(engine().renewLock(channel, id, 'u2', LONG_TTL_MS))).code).toBe(
          'LOCK_NOT_HELD',
        );
        await engine().renewLock(channel, id, id, LONG_TTL_MS);
        await engine().acquireLock(channel, 'other', id, LONG_TTL_MS, MAX_LOCKS);
        expect(await engine().releaseLock(channel, id, id)).toMatchObject({
          lockName: id,
          owner: id,
        });
        expect((await errorOf(engine().releaseLock(channel, id, id))).code).toBe('LOCK_NOT_HELD');
        expect(await engine().releaseLocksOf(channel, id)).toMatchObject([{ lockName: 'other' }]);
        await engine().acquireLock(channel, id, 'u2', LOCK_TTL_MS, MAX_LOCKS);
        await harness().advance(LOCK_TTL_MS + 50);
        const swept = await engine().sweepExpiredLocks(100);
        expect(swept).toStrictEqual([
          { channel, lock: { lockName: id, owner: 'u2', expiresAt: expect.any(Number) } },
        ]);
      },
    );
  });

  describe('lock limit', () => {
    const fill = (n: number, ttlMs = LONG_TTL_MS) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          engine().acquireLock(room(), `L${i}`, `u${i % 3}`, ttlMs, MAX_LOCKS),
        ),
      );

    it('refuses one more live lock name (PAYLOAD_TOO_LARGE); holders still extend theirs', async () => {
      const grants = await fill(MAX_LOCKS);
      const err = await errorOf(engine().acquireLock(room(), 'one-more', 'u1', 1000, MAX_LOCKS));
      expect(err.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await engine().listLocks(room())).toHaveLength(MAX_LOCKS);
      const again = await engine().acquireLock(room(), 'L0', 'u0', LONG_TTL_MS, MAX_LOCKS);
      expect(again).toMatchObject({ acquired: false, grant: { token: grants[0].grant.token } });
      await engine().releaseLock(room(), 'L1', 'u1');
      await expect(
        engine().acquireLock(room(), 'one-more', 'u1', 1000, MAX_LOCKS),
      ).resolves.toMatchObject({ acquired: true });
      const other = await engine().acquireLock(room('r2'), 'x', 'u1', 1000, MAX_LOCKS);
      expect(other.acquired).toBe(true);
    });

    it('counts live locks only: lapsed ones make room', async () => {
      await fill(MAX_LOCKS, LOCK_TTL_MS);
      await harness().advance(LOCK_TTL_MS + 50);
      await expect(
        engine().acquireLock(room(), 'fresh', 'u1', LONG_TTL_MS, MAX_LOCKS),
      ).resolves.toMatchObject({ acquired: true });
    });

    it('never overshoots under concurrent acquires of new names', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: MAX_LOCKS + 5 }, (_, i) =>
          engine().acquireLock(room(), `C${i}`, 'u1', LONG_TTL_MS, MAX_LOCKS),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_LOCKS);
      expect(await engine().listLocks(room())).toHaveLength(MAX_LOCKS);
    });
  });

  describe('nothing stored that no one wrote', () => {
    it('renew, release and failed or empty writes on an absent channel store nothing', async () => {
      const absent = room('absent');
      expect((await errorOf(engine().renewLock(absent, 'L', 'u1', 1000))).code).toBe(
        'LOCK_NOT_HELD',
      );
      expect((await errorOf(engine().releaseLock(absent, 'L', 'u1'))).code).toBe('LOCK_NOT_HELD');
      expect(await engine().releaseLocksOf(absent, 'u1')).toStrictEqual([]);
      await engine().write({ channel: absent, kind: 'remove', authorUserId: 'u1' });
      await errorOf(
        engine().write(setCmd([{ key: 'a', value: 1 }], { channel: absent, lockName: 'L' })),
      );
      await errorOf(
        engine().write(setCmd([{ key: 'a', value: 1 }], { channel: absent, kind: 'update' })),
      );
      await engine().dropChannelAfter(absent, RETENTION_MS);
      await engine().keepChannel(absent);
      expect(await harness().storedEntries()).toBe(0);
    });
  });

  describe('room channel retention', () => {
    async function channelWithLock(channel: ChannelRef) {
      await engine().write(setCmd([{ key: 'a', value: 1 }], { channel }));
      await engine().acquireLock(channel, 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
    }

    it('drops items and locks after the retention; a later write starts at majorRevision 1', async () => {
      await channelWithLock(room());
      await channelWithLock(room('other'));
      await engine().dropChannelAfter(room(), RETENTION_MS);
      expect(await engine().read(room())).toMatchObject({ majorRevision: 1 });
      await harness().advance(RETENTION_MS + 100);
      expect(await engine().read(room())).toStrictEqual({ ...room(), majorRevision: 0, items: [] });
      expect(await engine().listLocks(room())).toStrictEqual([]);
      expect(await engine().sweepExpiredLocks(10)).toStrictEqual([]);
      const next = await engine().write(setCmd([{ key: 'b', value: 1 }]));
      expect(next).toMatchObject({ majorRevision: 1, written: [{ key: 'b', revision: 1 }] });
      await expect(
        engine().acquireLock(room(), 'L', 'u2', LONG_TTL_MS, MAX_LOCKS),
      ).resolves.toMatchObject({ acquired: true });
      expect(await engine().read(room('other'))).toMatchObject({ majorRevision: 1 });
      expect(await engine().listLocks(room('other'))).toHaveLength(1);
    });

    it('keepChannel cancels a pending drop', async () => {
      await channelWithLock(room());
      await engine().dropChannelAfter(room(), RETENTION_MS);
      await engine().keepChannel(room());
      await harness().advance(RETENTION_MS + 100);
      expect(await engine().read(room())).toMatchObject({
        majorRevision: 1,
        items: [{ key: 'a' }],
      });
      expect(await engine().listLocks(room())).toHaveLength(1);
    });
  });
}

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
