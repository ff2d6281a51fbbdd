import type { GamePhase } from '@avalon-realtime/client/protocol';
import { badRequest, type RuleError } from './game-action.js';
import type { GameState } from './game-state.js';

/** BAD_REQUEST naming the phase a request needs, or undefined when the game is in it. */
export function requirePhase(
  state: GameState,
  phase: GamePhase,
  request: string,
): { error: RuleError } | undefined {
  if (state.phase === phase) {
    return undefined;
  }
  return badRequest(
    `${request} is allowed only in the ${phase} phase (the game is ${state.phase})`,
  );
}
