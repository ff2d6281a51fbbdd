import type { GameRole } from '@avalon-realtime/client/protocol';
import { badRequest, forbidden, type ApplyResult, type GameAction } from './game-action.js';
import { randomGameId, shuffled, type GameRandom } from './game-random.js';
import type { GameState, SeatedPlayer } from './game-state.js';
import { requirePhase } from './phase-guard.js';
import { findPlayer, lowestFreeSeat, withPlayers } from './seats.js';
import {
  MAX_PLAYERS,
  MIN_PLAYERS,
  SEATS,
  normalizeOptions,
  questsFor,
  roleSetFor,
} from './setup.js';

type Create = Extract<GameAction, { type: 'create' }>;

/**
 * A new game in the lobby, nobody seated, the creator as host. Its version continues the
 * previous game's (apply adds the one for this change), so versions never repeat in a room.
 */
export function create(
  previous: GameState | undefined,
  action: Create,
  actor: string,
  random: GameRandom,
): ApplyResult {
  if (previous !== undefined && previous.phase !== 'over') {
    return badRequest('one game per room: the current game is not over');
  }
  const state: GameState = {
    roomId: action.roomId,
    gameId: randomGameId(random),
    version: previous?.version ?? 0,
    phase: 'lobby',
    host: actor,
    options: normalizeOptions(action.roles),
    players: [],
    leader: null,
    questIndex: 0,
    rejections: 0,
    quests: [],
  };
  return { state };
}

/** Takes `seat`, or the lowest free one; a seated player keeps theirs unless they name another. */
export function sit(state: GameState, seat: number | undefined, actor: string): ApplyResult {
  const wrongPhase = requirePhase(state, 'lobby', 'game:sit');
  if (wrongPhase) {
    return wrongPhase;
  }
  if (seat !== undefined && !(Number.isInteger(seat) && seat >= 0 && seat < SEATS)) {
    return badRequest(`seats are numbered 0 to ${SEATS - 1}`);
  }
  const me = findPlayer(state, actor);
  const wanted = seat ?? me?.seat ?? lowestFreeSeat(state, SEATS);
  if (wanted === undefined) {
    return badRequest(`the table is full: all ${SEATS} seats are taken`);
  }
  if (me?.seat === wanted) {
    return { state };
  }
  if (state.players.some((player) => player.seat === wanted)) {
    return badRequest(`seat ${wanted} is taken by another player`);
  }
  const others = state.players.filter((player) => player.userId !== actor);
  return { state: withPlayers(state, [...others, { userId: actor, seat: wanted }]) };
}

/** Leaves the table; standing when not seated changes nothing. */
export function stand(state: GameState, actor: string): ApplyResult {
  const wrongPhase = requirePhase(state, 'lobby', 'game:stand');
  if (wrongPhase) {
    return wrongPhase;
  }
  if (findPlayer(state, actor) === undefined) {
    return { state };
  }
  return {
    state: withPlayers(
      state,
      state.players.filter((p) => p.userId !== actor),
    ),
  };
}

/** Deals the roles and picks the first leader at random: host only, 5–10 seated. */
export function start(state: GameState, actor: string, random: GameRandom): ApplyResult {
  const wrongPhase = requirePhase(state, 'lobby', 'game:start');
  if (wrongPhase) {
    return wrongPhase;
  }
  if (actor !== state.host) {
    return forbidden('only the host starts the game');
  }
  const count = state.players.length;
  if (count < MIN_PLAYERS || count > MAX_PLAYERS) {
    return badRequest(`a game needs ${MIN_PLAYERS} to ${MAX_PLAYERS} seated players, not ${count}`);
  }
  const roles = roleSetFor(count, state.options);
  if (typeof roles === 'string') {
    return badRequest(roles);
  }
  const dealt = shuffled<GameRole>(random, roles);
  const players: SeatedPlayer[] = state.players.map((p, i) => ({ ...p, role: dealt[i] }));
  const leader = players[random.int(count)].userId;
  return {
    state: { ...state, phase: 'proposing', players, leader, quests: questsFor(count) },
  };
}

/** The host abandons the game: over, with no winner, roles revealed. */
export function end(state: GameState, actor: string): ApplyResult {
  if (state.phase === 'over') {
    return badRequest('game:end: the game is already over');
  }
  if (actor !== state.host) {
    return forbidden('only the host ends the game');
  }
  return { state: { ...state, phase: 'over', reason: 'abandoned' } };
}
