import { AppError } from '../../src/common/errors/app-error.js';
import type { ChannelRef, ItemWrite, LockSummary } from '@avalon-realtime/client/protocol';
import type {
  ChannelLock,
  MetadataEngine,
  WriteCommand,
} from '../../src/engine/metadata.engine.js';

export interface MetadataHarness {
  engine: MetadataEngine;
  /** Lets `ms` pass on the engine's clock (a real wait for Redis, whose TIME cannot be faked). */
  advance(ms: number): Promise<void>;
  /** How many entries (keys, channels) the engine stores: 0 when nothing was written. */
  storedEntries(): Promise<number>;
  cleanup(): Promise<void>;
}

/** Short enough for real waits, long enough that a few calls fit well inside it. */
export const LOCK_TTL_MS = 300;
const LONG_TTL_MS = 60_000;
/** The live locks one channel may hold in these tests (MAX_LOCKS_PER_CHANNEL). */
export const MAX_LOCKS = 8;

export const room = (channelName = 'r1'): ChannelRef => ({ channelType: 'room', channelName });
const user = (channelName: string): ChannelRef => ({ channelType: 'user', channelName });

export const setCmd = (items: ItemWrite[], over: Partial<WriteCommand> = {}): WriteCommand => ({
  channel: room(),
  kind: 'set',
  items,
  authorUserId: 'u1',
  ...over,
});

const updateCmd = (items: ItemWrite[], over: Partial<WriteCommand> = {}): WriteCommand =>
  setCmd(items, { kind: 'update', ...over });

const removeCmd = (keys?: string[], over: Partial<WriteCommand> = {}): WriteCommand => ({
  channel: room(),
  kind: 'remove',
  ...(keys ? { keys } : {}),
  authorUserId: 'u1',
  ...over,
});

/** The AppError a call failed with (a test failure when it did not fail with one). */
export async function errorOf(call: Promise<unknown>): Promise<AppError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AppError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

const codeOf = async (call: Promise<unknown>): Promise<string> => (await errorOf(call)).code;

const lockId = ({ channel, lock }: ChannelLock): string =>
  `${channel.channelType}:${channel.channelName}:${lock.lockName}:${lock.owner}`;

/** The conformance suite of MetadataEngine; every engine runs it unchanged. */
export function describeMetadataEngineContract(
  name: string,
  makeEngine: () => Promise<MetadataHarness>,
): void {
  describe(`MetadataEngine contract: ${name}`, () => {
    let h: MetadataHarness;
    let engine: MetadataEngine;

    beforeEach(async () => {
      h = await makeEngine();
      engine = h.engine;
      await engine.ready();
    });
    afterEach(async () => {
      await engine.close();
      await h.cleanup();
    });

    /** Nothing was written: the channel reads exactly as before the call. */
    async function expectUnchanged(call: Promise<unknown>, code: string): Promise<AppError> {
      const before = await engine.read(room());
      const err = await errorOf(call);
      expect(err.code).toBe(code);
      expect(await engine.read(room())).toStrictEqual(before);
      return err;
    }

    describe('read and write', () => {
      it('reads an empty channel as majorRevision 0 without items', async () => {
        expect(await engine.read(room())).toStrictEqual({
          channelType: 'room',
          channelName: 'r1',
          majorRevision: 0,
          items: [],
        });
      });

      it('set creates items at revision 1 and returns the whole channel', async () => {
        const out = await engine.write(
          setCmd([
            { key: 'b', value: { nested: [1, 'two', null] } },
            { key: 'a', value: 'ü' },
          ]),
        );
        expect(out).toMatchObject({ majorRevision: 1, changed: true, removed: [] });
        expect(out.attempts).toBeGreaterThanOrEqual(1);
        expect(out.items.map((i) => [i.key, i.revision, i.authorUserId])).toStrictEqual([
          ['a', 1, 'u1'],
          ['b', 1, 'u1'],
        ]);
        expect(out.items[1].value).toStrictEqual({ nested: [1, 'two', null] });
        expect(out.items[0].updatedAt).toBeGreaterThan(0);
        expect(out.written.map((i) => i.key)).toStrictEqual(['b', 'a']);
        const read = await engine.read(room());
        expect(read).toStrictEqual({ ...room(), majorRevision: 1, items: out.items });
      });

      it('set overwrites: the item revision rises by 1, the others stay', async () => {
        await engine.write(
          setCmd([
            { key: 'a', value: 1 },
            { key: 'b', value: 1 },
          ]),
        );
        const out = await engine.write(setCmd([{ key: 'a', value: 2 }], { authorUserId: 'u2' }));
        expect(out.majorRevision).toBe(2);
        expect(out.written).toStrictEqual([expect.objectContaining({ key: 'a', revision: 2 })]);
        expect(out.items.map((i) => [i.key, i.value, i.revision, i.authorUserId])).toStrictEqual([
          ['a', 2, 2, 'u2'],
          ['b', 1, 1, 'u1'],
        ]);
      });

      it('keeps channels apart: a room and a user channel of the same name', async () => {
        await engine.write(setCmd([{ key: 'a', value: 'room' }]));
        await engine.write(setCmd([{ key: 'a', value: 'user' }], { channel: user('r1') }));
        expect((await engine.read(room())).items[0].value).toBe('room');
        expect((await engine.read(user('r1'))).items[0].value).toBe('user');
        expect((await engine.read(room('r2'))).majorRevision).toBe(0);
      });

      it('update changes existing items; a missing key is NOT_FOUND and nothing is written', async () => {
        await engine.write(setCmd([{ key: 'a', value: 1 }]));
        const out = await engine.write(updateCmd([{ key: 'a', value: 2 }]));
        expect(out.items).toStrictEqual([expect.objectContaining({ value: 2, revision: 2 })]);
        const missing = updateCmd([
          { key: 'a', value: 3 },
          { key: 'zz', value: 3 },
        ]);
        const err = await expectUnchanged(engine.write(missing), 'NOT_FOUND');
        expect(err.details).toStrictEqual({ key: 'zz' });
      });

      it('checks item revisions: a wrong one is REVISION_CONFLICT with the named items', async () => {
        await engine.write(
          setCmd([
            { key: 'a', value: 1 },
            { key: 'c', value: 1 },
          ]),
        );
        const wrong = setCmd([
          { key: 'a', value: 2, revision: 5 },
          { key: 'b', value: 2, revision: -1 },
        ]);
        const err = await expectUnchanged(engine.write(wrong), 'REVISION_CONFLICT');
        expect(err.details).toStrictEqual({
          majorRevision: 1,
          items: [
            { key: 'a', revision: 1 },
            { key: 'b', revision: 0 },
          ],
        });
        const right = await engine.write(setCmd([{ key: 'a', value: 2, revision: 1 }]));
        expect(right.written[0].revision).toBe(2);
      });

      it('revision 0 creates only; a negative revision is not checked', async () => {
        await engine.write(setCmd([{ key: 'a', value: 1, revision: 0 }]));
        const again = engine.write(setCmd([{ key: 'a', value: 2, revision: 0 }]));
        await expectUnchanged(again, 'REVISION_CONFLICT');
        const unchecked = await engine.write(setCmd([{ key: 'a', value: 3, revision: -1 }]));
        expect(unchecked.written[0]).toMatchObject({ value: 3, revision: 2 });
      });

      it('checks majorRevision when given and not negative', async () => {
        await engine.write(setCmd([{ key: 'a', value: 1 }]));
        const wrong = engine.write(setCmd([{ key: 'b', value: 1 }], { majorRevision: 0 }));
        const err = await expectUnchanged(wrong, 'REVISION_CONFLICT');
        expect(err.details).toStrictEqual({ majorRevision: 1, items: [{ key: 'b', revision: 0 }] });
        const removeWrong = engine.write(removeCmd(['a'], { majorRevision: 7 }));
        const removeErr = await expectUnchanged(removeWrong, 'REVISION_CONFLICT');
        expect(removeErr.details).toStrictEqual({
          majorRevision: 1,
          items: [{ key: 'a', revision: 1 }],
        });
        await engine.write(setCmd([{ key: 'b', value: 1 }], { majorRevision: 1 }));
        const out = await engine.write(setCmd([{ key: 'c', value: 1 }], { majorRevision: -1 }));
        expect(out.majorRevision).toBe(3);
      });

      it('removes named keys, skipping absent ones', async () => {
        await engine.write(setCmd(['a', 'b', 'c'].map((key) => ({ key, value: key }))));
        const out = await engine.write(removeCmd(['a', 'nope', 'c']));
        expect(out).toMatchObject({ majorRevision: 2, changed: true, written: [] });
        expect(out.removed.sort()).toStrictEqual(['a', 'c']);
        expect(out.items.map((i) => i.key)).toStrictEqual(['b']);
        expect(await engine.read(room())).toMatchObject({ majorRevision: 2, items: out.items });
      });

      it('removes every item when no keys are named, keeping majorRevision', async () => {
        await engine.write(setCmd(['a', 'b'].map((key) => ({ key, value: 1 }))));
        const out = await engine.write(removeCmd());
        expect(out).toMatchObject({ majorRevision: 2, items: [], changed: true });
        expect(out.removed.sort()).toStrictEqual(['a', 'b']);
        const next = await engine.write(setCmd([{ key: 'a', value: 1 }]));
        expect(next).toMatchObject({ majorRevision: 3, written: [{ revision: 1 }] });
      });

      it('a remove that removes nothing changes nothing', async () => {
        await engine.write(setCmd([{ key: 'a', value: 1 }]));
        const out = await engine.write(removeCmd(['nope']));
        expect(out).toMatchObject({ majorRevision: 1, changed: false, removed: [], written: [] });
        expect(out.items.map((i) => i.key)).toStrictEqual(['a']);
        const empty = await engine.write(removeCmd(undefined, { channel: room('r2') }));
        expect(empty).toMatchObject({ majorRevision: 0, changed: false, items: [] });
        expect((await engine.read(room())).majorRevision).toBe(1);
      });

      it('holds at most 256 items: beyond is PAYLOAD_TOO_LARGE and nothing is written', async () => {
        const items = Array.from({ length: 255 }, (_, i) => ({ key: `k${i}`, value: i }));
        await engine.write(setCmd(items));
        const tooMany = setCmd([
          { key: 'k0', value: 'changed' },
          { key: 'x', value: 1 },
          { key: 'y', value: 1 },
        ]);
        await expectUnchanged(engine.write(tooMany), 'PAYLOAD_TOO_LARGE');
        const full = await engine.write(setCmd([{ key: 'x', value: 1 }]));
        expect(full.items).toHaveLength(256);
        const overwrite = await engine.write(setCmd([{ key: 'k0', value: 'changed' }]));
        expect(overwrite.items).toHaveLength(256);
        await expectUnchanged(engine.write(setCmd([{ key: 'z', value: 1 }])), 'PAYLOAD_TOO_LARGE');
      });
    });

    describe('writes under a lock', () => {
      const locked = (author: string) =>
        setCmd([{ key: 'a', value: author }], { lockName: 'L', authorUserId: author });

      it('succeed for the holder', async () => {
        await engine.acquireLock(room(), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        const out = await engine.write(locked('u1'));
        expect(out.items[0]).toMatchObject({ value: 'u1', authorUserId: 'u1' });
        const removed = await engine.write(removeCmd(['a'], { lockName: 'L' }));
        expect(removed.changed).toBe(true);
      });

      it('are LOCK_NOT_HELD when another user holds it, and write nothing', async () => {
        await engine.acquireLock(room(), 'L', 'u2', LONG_TTL_MS, MAX_LOCKS);
        await expectUnchanged(engine.write(locked('u1')), 'LOCK_NOT_HELD');
        await expectUnchanged(
          engine.write(removeCmd(undefined, { lockName: 'L' })),
          'LOCK_NOT_HELD',
        );
      });

      it('are LOCK_NOT_HELD when the lock is absent, lapsed or on another channel', async () => {
        await expectUnchanged(engine.write(locked('u1')), 'LOCK_NOT_HELD');
        await engine.acquireLock(room('r2'), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        await expectUnchanged(engine.write(locked('u1')), 'LOCK_NOT_HELD');
        await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        await expectUnchanged(engine.write(locked('u1')), 'LOCK_NOT_HELD');
      });
    });

    describe('locks', () => {
      it('grants a free lock with a token', async () => {
        const out = await engine.acquireLock(room(), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        expect(out.acquired).toBe(true);
        expect(out.expired).toBeUndefined();
        expect(out.grant).toMatchObject({ lockName: 'L', owner: 'u1' });
        expect(Number.isInteger(out.grant.token)).toBe(true);
        expect(out.grant.token).toBeGreaterThan(0);
        expect(await engine.listLocks(room())).toStrictEqual([
          { lockName: 'L', owner: 'u1', expiresAt: out.grant.expiresAt },
        ]);
      });

      it('re-acquiring by the holder extends it and keeps the token', async () => {
        const first = await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(20);
        const again = await engine.acquireLock(room(), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        expect(again.acquired).toBe(false);
        expect(again.expired).toBeUndefined();
        expect(again.grant.token).toBe(first.grant.token);
        expect(again.grant.expiresAt).toBeGreaterThan(first.grant.expiresAt);
      });

      it('held by another user is LOCK_HELD with its owner and expiry', async () => {
        const first = await engine.acquireLock(room(), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        const err = await errorOf(engine.acquireLock(room(), 'L', 'u2', LONG_TTL_MS, MAX_LOCKS));
        expect(err.code).toBe('LOCK_HELD');
        expect(err.details).toStrictEqual({ owner: 'u1', expiresAt: first.grant.expiresAt });
        const other = await engine.acquireLock(room(), 'M', 'u2', LONG_TTL_MS, MAX_LOCKS);
        expect(other.grant.token).toBeGreaterThan(first.grant.token);
      });

      it('after a lapse another user gets a larger token and the lapse, once', async () => {
        const first = await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        const taken = await engine.acquireLock(room(), 'L', 'u2', LONG_TTL_MS, MAX_LOCKS);
        expect(taken.acquired).toBe(true);
        expect(taken.grant.token).toBeGreaterThan(first.grant.token);
        expect(taken.expired).toStrictEqual({
          lockName: 'L',
          owner: 'u1',
          expiresAt: first.grant.expiresAt,
        });
        const again = await engine.acquireLock(room(), 'L', 'u2', LONG_TTL_MS, MAX_LOCKS);
        expect(again.expired).toBeUndefined();
        expect(await engine.sweepExpiredLocks(10)).toStrictEqual([]);
      });

      it('the lapsed holder acquiring again also gets a new token', async () => {
        const first = await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        const again = await engine.acquireLock(room(), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        expect(again).toMatchObject({ acquired: true, expired: { owner: 'u1' } });
        expect(again.grant.token).toBeGreaterThan(first.grant.token);
      });

      it('renew extends for the holder only, never a lapsed lock', async () => {
        const first = await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(20);
        const renewed = await engine.renewLock(room(), 'L', 'u1', LONG_TTL_MS);
        expect(renewed.expiresAt).toBeGreaterThan(first.grant.expiresAt);
        expect(await codeOf(engine.renewLock(room(), 'L', 'u2', LONG_TTL_MS))).toBe(
          'LOCK_NOT_HELD',
        );
        expect(await codeOf(engine.renewLock(room(), 'nope', 'u1', 10))).toBe('LOCK_NOT_HELD');
        await engine.acquireLock(room(), 'S', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        expect(await codeOf(engine.renewLock(room(), 'S', 'u1', LONG_TTL_MS))).toBe(
          'LOCK_NOT_HELD',
        );
        const kept = await engine.acquireLock(room(), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        expect(kept.grant.token).toBe(first.grant.token);
      });

      it('release frees it for the holder only; the next token is larger', async () => {
        const first = await engine.acquireLock(room(), 'L', 'u1', LONG_TTL_MS, MAX_LOCKS);
        expect(await codeOf(engine.releaseLock(room(), 'L', 'u2'))).toBe('LOCK_NOT_HELD');
        expect(await engine.releaseLock(room(), 'L', 'u1')).toStrictEqual({
          lockName: 'L',
          owner: 'u1',
          expiresAt: first.grant.expiresAt,
        });
        expect(await codeOf(engine.releaseLock(room(), 'L', 'u1'))).toBe('LOCK_NOT_HELD');
        expect(await engine.listLocks(room())).toStrictEqual([]);
        const next = await engine.acquireLock(room(), 'L', 'u2', LONG_TTL_MS, MAX_LOCKS);
        expect(next).toMatchObject({ acquired: true });
        expect(next.expired).toBeUndefined();
        expect(next.grant.token).toBeGreaterThan(first.grant.token);
      });

      it('a lapsed lock cannot be released', async () => {
        await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        expect(await codeOf(engine.releaseLock(room(), 'L', 'u1'))).toBe('LOCK_NOT_HELD');
      });

      it('listLocks shows the live locks of the channel only', async () => {
        const a = await engine.acquireLock(room(), 'A', 'u1', LONG_TTL_MS, MAX_LOCKS);
        const b = await engine.acquireLock(room(), 'B', 'u2', LONG_TTL_MS, MAX_LOCKS);
        await engine.acquireLock(room(), 'C', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await engine.acquireLock(room('r2'), 'D', 'u1', LONG_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        const listed = await engine.listLocks(room());
        expect(byName(listed)).toStrictEqual([
          { lockName: 'A', owner: 'u1', expiresAt: a.grant.expiresAt },
          { lockName: 'B', owner: 'u2', expiresAt: b.grant.expiresAt },
        ]);
        expect(await engine.listLocks(room('r3'))).toStrictEqual([]);
      });

      it("releaseLocksOf releases the owner's live locks on that channel only", async () => {
        const a = await engine.acquireLock(room(), 'A', 'u1', LONG_TTL_MS, MAX_LOCKS);
        const b = await engine.acquireLock(room(), 'B', 'u1', LONG_TTL_MS, MAX_LOCKS);
        await engine.acquireLock(room(), 'C', 'u2', LONG_TTL_MS, MAX_LOCKS);
        await engine.acquireLock(room(), 'S', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await engine.acquireLock(room('r2'), 'D', 'u1', LONG_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        const released = await engine.releaseLocksOf(room(), 'u1');
        expect(byName(released)).toStrictEqual([
          { lockName: 'A', owner: 'u1', expiresAt: a.grant.expiresAt },
          { lockName: 'B', owner: 'u1', expiresAt: b.grant.expiresAt },
        ]);
        expect((await engine.listLocks(room())).map((l) => l.lockName)).toStrictEqual(['C']);
        expect(await engine.listLocks(room('r2'))).toHaveLength(1);
        expect(await engine.releaseLocksOf(room(), 'u1')).toStrictEqual([]);
        const swept = await engine.sweepExpiredLocks(10);
        expect(swept.map(lockId)).toStrictEqual(['room:r1:S:u1']);
      });
    });

    describe('sweepExpiredLocks', () => {
      it('returns each lapsed lock exactly once, never a live or re-acquired one', async () => {
        const lapsing = [
          [room(), 'A', 'u1'],
          [room(), 'B', 'u2'],
          [room('r2'), 'A', 'u1'],
          [user('u3'), 'A', 'u3'],
        ] as const;
        const grants = new Map<string, number>();
        for (const [channel, lockName, owner] of lapsing) {
          const out = await engine.acquireLock(channel, lockName, owner, LOCK_TTL_MS, MAX_LOCKS);
          grants.set(`${channel.channelName}:${lockName}`, out.grant.expiresAt);
        }
        await engine.acquireLock(room(), 'Live', 'u1', LONG_TTL_MS, MAX_LOCKS);
        await engine.acquireLock(room('r9'), 'Taken', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        await engine.acquireLock(room('r9'), 'Taken', 'u2', LONG_TTL_MS, MAX_LOCKS);

        const first = await engine.sweepExpiredLocks(3);
        expect(first).toHaveLength(3);
        const rest = await engine.sweepExpiredLocks(10);
        const all = [...first, ...rest];
        expect(all.map(lockId).sort()).toStrictEqual([
          'room:r1:A:u1',
          'room:r1:B:u2',
          'room:r2:A:u1',
          'user:u3:A:u3',
        ]);
        const a = all.find((l) => l.channel.channelName === 'r2');
        expect(a?.lock.expiresAt).toBe(grants.get('r2:A'));
        expect(await engine.sweepExpiredLocks(10)).toStrictEqual([]);
        expect((await engine.listLocks(room())).map((l) => l.lockName)).toStrictEqual(['Live']);
        expect(await engine.listLocks(room('r9'))).toMatchObject([{ owner: 'u2' }]);
      });

      it('a swept lock is free: the next acquire reports no lapse and a larger token', async () => {
        const first = await engine.acquireLock(room(), 'L', 'u1', LOCK_TTL_MS, MAX_LOCKS);
        await h.advance(LOCK_TTL_MS + 50);
        expect(await engine.sweepExpiredLocks(10)).toHaveLength(1);
        const next = await engine.acquireLock(room(), 'L', 'u2', LONG_TTL_MS, MAX_LOCKS);
        expect(next.expired).toBeUndefined();
        expect(next.grant.token).toBeGreaterThan(first.grant.token);
      });
    });
  });
}

const byName = (locks: LockSummary[]): LockSummary[] =>
  [...locks].sort((a, b) => a.lockName.localeCompare(b.lockName));
