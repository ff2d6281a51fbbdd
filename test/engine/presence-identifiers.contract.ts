import type { PresenceEngine } from '../../src/engine/presence.engine.js';
import {
  LONG_TTL_MS,
  TTL_MS,
  beat,
  codeOf,
  joinCmd,
  type EngineHarness,
} from './presence-engine.contract.js';

/**
 * Ids that spell the protocol's error codes, the scripts' own status words and JavaScript
 * property names: every engine must treat them like any other id (PROTOCOL: identifiers).
 */
export const HOSTILE_IDS = [
  'FORBIDDEN',
  'NOT_JOINED',
  'STALE_EPOCH',
  'ROOM_FULL',
  'USER_FULL',
  'OK',
  'MISMATCH',
  'ABSENT',
  'NOOP',
  'HELD',
  'UNAVAILABLE',
  'LOCK_HELD',
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
];

/** The identifier part of the PresenceEngine conformance suite. */
export function describePresenceIdentifiers(
  name: string,
  makeEngine: () => Promise<EngineHarness>,
): void {
  describe(`PresenceEngine identifiers: ${name}`, () => {
    let h: EngineHarness;
    let engine: PresenceEngine;

    beforeEach(async () => {
      h = await makeEngine();
      engine = h.engine;
      await engine.ready();
    });
    afterEach(async () => {
      await engine.close();
      await h.cleanup();
    });

    it.each(HOSTILE_IDS)('%s as roomId, connId and userId is an ordinary id', async (id) => {
      const ids = { roomId: id, connId: id, userId: id, ttlMs: LONG_TTL_MS };
      const ref = { roomId: id, connId: id, userId: id };
      await engine.join(joinCmd({ ...ids, connId: '~other', userId: 'u0' }));
      const self = await engine.join(joinCmd({ ...ids, state: { id } }));
      expect(self).toMatchObject({ resumed: false, member: { connId: id, userId: id } });
      expect(self.members.map((m) => m.connId)).toStrictEqual([id, '~other']);
      expect((await engine.list(id)).map((m) => [m.connId, m.userId])).toStrictEqual([
        [id, id],
        ['~other', 'u0'],
      ]);
      expect(await engine.isPresent(id, id)).toBe(true);
      const [room] = await engine.listForUser(id);
      expect(room).toMatchObject({ roomId: id, members: [{ connId: id, state: { id } }] });

      const hb = beat(self.epoch, [{ statePatch: { more: id } }], ids);
      expect(await engine.heartbeat(hb)).toMatchObject({ changed: true, epoch: self.epoch });
      expect(await codeOf(engine.heartbeat({ ...hb, userId: 'u0' }))).toBe('FORBIDDEN');
      expect(await codeOf(engine.heartbeat({ ...hb, epoch: self.epoch - 1 }))).toBe('STALE_EPOCH');
      expect(await codeOf(engine.join(joinCmd({ ...ids, userId: 'u0' })))).toBe('FORBIDDEN');

      const away = await engine.markAway({ ...ref, epoch: self.epoch });
      expect(away).toMatchObject({ connId: id, status: 'away', state: { id, more: id } });
      const left = await engine.leave(ref);
      expect(left).toMatchObject({ roomId: id, member: { connId: id }, userGone: true });
      expect(left?.roomEmpty).toBe(false);
      expect(await engine.leave(ref)).toBeUndefined();
      expect(await engine.isPresent(id, id)).toBe(false);
      expect((await engine.list(id)).map((m) => m.connId)).toStrictEqual(['~other']);
      expect(await engine.listForUser(id)).toStrictEqual([]);
    });

    it('sweeps connections with every such id exactly once', async () => {
      for (const id of HOSTILE_IDS) {
        await engine.join(joinCmd({ roomId: id, connId: id, userId: id }));
      }
      await h.advance(TTL_MS + 50);
      const { removed } = await engine.sweepExpired(HOSTILE_IDS.length);
      const summary = removed.map((r) => [r.roomId, r.member.connId, r.userGone, r.roomEmpty]);
      expect(summary.sort()).toStrictEqual(HOSTILE_IDS.map((id) => [id, id, true, true]).sort());
      expect((await engine.sweepExpired(HOSTILE_IDS.length)).removed).toStrictEqual([]);
    });
  });
}
