import { KEEP_DEADLINE, type GameStore } from '../../src/engine/game.store.js';
import type { GameState } from '../../src/game/rules/game-state.js';

export interface GameStoreHarness {
  store: GameStore;
  /** A second store on the same storage, as another process would have. */
  other: GameStore;
  /** Lets `ms` pass on the store's clock (a real wait for Redis, whose TIME cannot be faked). */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** Long enough for a few calls to fit well inside it, short enough to wait out for real. */
export const TURN_MS = 400;
const RETENTION_MS = 60_000;
const LONG = { turnMs: 0, retentionMs: RETENTION_MS };

/** A lobby at `version`: the store keeps states whole, so any valid state will do. */
export const lobbyAt = (version: number, roomId = 'r1'): GameState => ({
  roomId,
  gameId: 'g-1',
  version,
  phase: 'lobby',
  host: 'alice',
  options: { percival: false, morgana: false, mordred: false, oberon: false },
  players: [{ userId: 'alice', seat: 0 }],
  leader: null,
  questIndex: 0,
  rejections: 0,
  quests: [],
});

const proposingAt = (version: number, roomId = 'r1'): GameState => ({
  ...lobbyAt(version, roomId),
  phase: 'proposing',
  leader: 'alice',
});

export function describeGameStoreContract(name: string, make: () => Promise<GameStoreHarness>) {
  describe(`${name}: the game store`, () => {
    let h: GameStoreHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('stores a game only over the version the writer read', async () => {
      expect(await h.store.read('r1')).toBeUndefined();
      expect(await h.store.write('r1', undefined, lobbyAt(1), LONG)).toBe(true);
      expect(await h.other.write('r1', undefined, lobbyAt(1), LONG)).toBe(false);
      expect(await h.other.write('r1', 2, lobbyAt(3), LONG)).toBe(false);
      expect(await h.other.write('r1', 1, lobbyAt(2), LONG)).toBe(true);
      expect(await h.store.write('r1', 1, lobbyAt(2), LONG)).toBe(false);
      expect(await h.store.read('r1')).toEqual({ state: lobbyAt(2), deadline: undefined });
      expect(await h.store.read('r2')).toBeUndefined();
    });

    it('lets exactly one of several racing writers of one version win', async () => {
      await h.store.write('r1', undefined, lobbyAt(1), LONG);
      const writers = Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? h.other : h.store).write('r1', 1, { ...lobbyAt(2), host: `host-${i}` }, LONG),
      );
      const won = await Promise.all(writers);
      expect(won.filter(Boolean)).toHaveLength(1);
      const stored = await h.store.read('r1');
      expect(stored?.state.host).toBe(`host-${won.indexOf(true)}`);
    });

    it('lists a turn once its deadline passed, keeps it through the same turn, drops it after', async () => {
      await h.store.write('r1', undefined, proposingAt(1), { ...LONG, turnMs: TURN_MS });
      const first = await h.store.read('r1');
      expect(first?.deadline).toEqual(expect.any(Number));
      expect((await h.store.due(10)).turns).toEqual([]);
      await h.store.write('r1', 1, proposingAt(2), { ...LONG, turnMs: KEEP_DEADLINE });
      expect((await h.store.read('r1'))?.deadline).toBe(first?.deadline);
      await h.advance(TURN_MS + 50);
      const due = await h.other.due(10);
      expect(due.now).toBeGreaterThanOrEqual(first?.deadline ?? Infinity);
      expect(due.turns).toEqual([{ roomId: 'r1', version: 2 }]);
      await h.store.write('r1', 2, lobbyAt(3), LONG);
      expect((await h.store.read('r1'))?.deadline).toBeUndefined();
      expect((await h.store.due(10)).turns).toEqual([]);
    });

    it('gives a new turn a new deadline', async () => {
      await h.store.write('r1', undefined, proposingAt(1), { ...LONG, turnMs: TURN_MS });
      const first = (await h.store.read('r1'))?.deadline ?? 0;
      await h.advance(TURN_MS / 2);
      await h.store.write('r1', 1, proposingAt(2), { ...LONG, turnMs: TURN_MS });
      const second = (await h.store.read('r1'))?.deadline ?? 0;
      expect(second).toBeGreaterThanOrEqual(first + TURN_MS / 2 - 10);
    });

    it('forgets a game its retention after the last change', async () => {
      await h.store.write('r1', undefined, lobbyAt(1), { turnMs: 0, retentionMs: TURN_MS });
      await h.store.write('r2', undefined, lobbyAt(1, 'r2'), LONG);
      await h.advance(TURN_MS + 50);
      expect(await h.store.read('r1')).toBeUndefined();
      expect(await h.store.write('r1', undefined, lobbyAt(1), LONG)).toBe(true);
      expect((await h.store.read('r2'))?.state).toEqual(lobbyAt(1, 'r2'));
    });

    it('gives the timer lease to one holder at a time', async () => {
      expect(await h.store.acquireTimerLease('a', TURN_MS)).toBe(true);
      expect(await h.other.acquireTimerLease('b', TURN_MS)).toBe(false);
      expect(await h.store.acquireTimerLease('a', TURN_MS)).toBe(true);
      await h.advance(TURN_MS + 50);
      expect(await h.other.acquireTimerLease('b', TURN_MS)).toBe(true);
      expect(await h.store.acquireTimerLease('a', TURN_MS)).toBe(false);
    });
  });
}
