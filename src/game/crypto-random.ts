import { randomInt } from 'node:crypto';
import type { GameRandom } from './rules/game-random.js';

/** The production source of a game's randomness (GAME.md: role deal and first leader by CSPRNG). */
export const cryptoRandom: GameRandom = {
  int: (bound) => randomInt(bound),
};
