/** The injection token of the GameRandom the server uses (cryptoRandom). */
export const GAME_RANDOM = Symbol('GameRandom');

/**
 * The source of every random choice of a game (role deal, first leader, game id). Production
 * passes one backed by a CSPRNG; tests pass a seeded one to replay a game.
 */
export interface GameRandom {
  /** A uniformly distributed integer in [0, bound); bound is a positive integer ≤ 2^32. */
  int(bound: number): number;
}

/** A shuffled copy (Fisher–Yates). */
export function shuffled<T>(random: GameRandom, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A 96-bit random id, `g-` and 24 hex digits. */
export function randomGameId(random: GameRandom): string {
  const words = [0, 1, 2].map(() =>
    random
      .int(2 ** 32)
      .toString(16)
      .padStart(8, '0'),
  );
  return `g-${words.join('')}`;
}
