import type { GameRole, GameSight } from '@avalon-realtime/client/protocol';
import type { GameState } from '../../src/game/rules/game-state.js';

/**
 * GAME.md's tables, written out again for the tests so they never check the engine against
 * its own tables.
 */

/** Good and evil players by player count. */
export const SIDES: Readonly<Record<number, readonly [good: number, evil: number]>> = {
  5: [3, 2],
  6: [4, 2],
  7: [4, 3],
  8: [5, 3],
  9: [6, 3],
  10: [6, 4],
};

/** Team sizes of quests 1–5 by player count. */
export const TEAM_SIZES: Readonly<Record<number, readonly number[]>> = {
  5: [2, 3, 2, 3, 3],
  6: [2, 3, 4, 3, 4],
  7: [2, 3, 3, 4, 4],
  8: [3, 4, 4, 5, 5],
  9: [3, 4, 4, 5, 5],
  10: [3, 4, 4, 5, 5],
};

type As = GameSight['as'];

/** The knowledge matrix, role by role: whom each role sees, and as what. */
export const KNOWLEDGE: Readonly<Record<GameRole, Partial<Record<GameRole, As>>>> = {
  merlin: { assassin: 'evil', morgana: 'evil', oberon: 'evil', minion: 'evil' },
  percival: { merlin: 'merlin-or-morgana', morgana: 'merlin-or-morgana' },
  servant: {},
  assassin: { morgana: 'evil', mordred: 'evil', minion: 'evil' },
  morgana: { assassin: 'evil', mordred: 'evil', minion: 'evil' },
  mordred: { assassin: 'evil', morgana: 'evil', minion: 'evil' },
  oberon: {},
  minion: { assassin: 'evil', morgana: 'evil', mordred: 'evil', minion: 'evil' },
};

/** What `viewer` should see of the other seated players, in seat order, per KNOWLEDGE. */
export function expectedSights(state: GameState, viewer: string): GameSight[] {
  const role = state.players.find((p) => p.userId === viewer)?.role;
  const seen = role === undefined ? {} : KNOWLEDGE[role];
  return state.players.flatMap(({ userId, role: other }) => {
    const as = userId === viewer || other === undefined ? undefined : seen[other];
    return as === undefined ? [] : [{ userId, as }];
  });
}
