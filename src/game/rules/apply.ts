import { notFound, type ApplyResult, type GameAction } from './game-action.js';
import type { GameRandom } from './game-random.js';
import type { GameState } from './game-state.js';
import { create, end, sit, stand, start } from './lobby.js';
import { assassinate, playQuest } from './questing.js';
import { timeout } from './timeout.js';
import { propose, vote } from './voting.js';

/**
 * The rules of the game as one pure function: the state after `actor` does `action`, or the
 * rule it breaks (FORBIDDEN: the actor may not; BAD_REQUEST: not allowed now or malformed;
 * NOT_FOUND: no game). A change raises `version` by one; an action that changes nothing (sitting
 * in one's own seat, standing when not seated) returns the same state object, version kept.
 * `state` is never mutated. Checks run in the order phase, actor, payload.
 */
export function apply(
  state: GameState | undefined,
  action: GameAction,
  actor: string,
  random: GameRandom,
): ApplyResult {
  if (action.type === 'create') {
    return bump(state, create(state, action, actor, random));
  }
  if (state === undefined) {
    return notFound('no game in this room');
  }
  return bump(state, dispatch(state, action, actor, random));
}

function dispatch(
  state: GameState,
  action: Exclude<GameAction, { type: 'create' }>,
  actor: string,
  random: GameRandom,
): ApplyResult {
  switch (action.type) {
    case 'sit':
      return sit(state, action.seat, actor);
    case 'stand':
      return stand(state, actor);
    case 'start':
      return start(state, actor, random);
    case 'propose':
      return propose(state, action.team, actor);
    case 'vote':
      return vote(state, action.approve, actor);
    case 'quest':
      return playQuest(state, action.success, actor);
    case 'assassinate':
      return assassinate(state, action.target, actor);
    case 'end':
      return end(state, actor);
    case 'timeout':
      return timeout(state, action.version);
  }
}

function bump(before: GameState | undefined, result: ApplyResult): ApplyResult {
  if ('error' in result || result.state === before) {
    return result;
  }
  return { state: { ...result.state, version: result.state.version + 1 } };
}
