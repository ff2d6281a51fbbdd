import type { GameRole, GameSight } from '@avalon-realtime/client/protocol';
import type { GameState, SeatedPlayer } from './game-state.js';
import { findPlayer } from './seats.js';
import { sideOf } from './setup.js';

/** Whom a role sees at the start, and as what (GAME.md); everyone else knows only themselves. */
const SIGHT: Partial<Record<GameRole, (other: GameRole) => GameSight['as'] | undefined>> = {
  // Merlin sees every evil player except Mordred (Oberon included).
  merlin: (other) => (sideOf(other) === 'evil' && other !== 'mordred' ? 'evil' : undefined),
  // Percival sees Merlin and Morgana without telling which.
  percival: (other) =>
    other === 'merlin' || other === 'morgana' ? 'merlin-or-morgana' : undefined,
  assassin: (other) => evilSeesEvil(other),
  morgana: (other) => evilSeesEvil(other),
  mordred: (other) => evilSeesEvil(other),
  minion: (other) => evilSeesEvil(other),
};

/** Evil players except Oberon see each other, Oberon excepted. */
function evilSeesEvil(other: GameRole): 'evil' | undefined {
  return sideOf(other) === 'evil' && other !== 'oberon' ? 'evil' : undefined;
}

/** What `userId` knows of the other players, in seat order; nothing before the deal. */
export function sightsFor(state: GameState, userId: string): GameSight[] {
  const role = findPlayer(state, userId)?.role;
  const sight = role === undefined ? undefined : SIGHT[role];
  if (sight === undefined) {
    return [];
  }
  const others = state.players.filter(
    (p): p is Required<SeatedPlayer> => p.userId !== userId && p.role !== undefined,
  );
  return others.flatMap((other) => {
    const as = sight(other.role);
    return as === undefined ? [] : [{ userId: other.userId, as }];
  });
}
