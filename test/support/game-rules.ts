import type { GameRole, GameSide, RoleOptions } from '@avalon-realtime/client/protocol';
import { apply } from '../../src/game/rules/apply.js';
import type { ApplyResult, GameAction, RuleError } from '../../src/game/rules/game-action.js';
import type { GameRandom } from '../../src/game/rules/game-random.js';
import type { GameState } from '../../src/game/rules/game-state.js';

/** A deterministic GameRandom (mulberry32), so a failing game can be replayed from its seed. */
export function seededRandom(seed: number): GameRandom & { next(): number } {
  let a = seed | 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (bound) => Math.floor(next() * bound) };
}

export const EVIL_ROLES: readonly GameRole[] = [
  'assassin',
  'morgana',
  'mordred',
  'oberon',
  'minion',
];
export const sideOfRole = (role: GameRole): GameSide =>
  EVIL_ROLES.includes(role) ? 'evil' : 'good';

/** Player ids p0…p(n-1). */
export const playerIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`);

/** The 16 subsets of the optional roles. */
export function allRoleOptions(): RoleOptions[] {
  const names = ['percival', 'morgana', 'mordred', 'oberon'] as const;
  return Array.from({ length: 16 }, (_, mask) =>
    Object.fromEntries(names.map((name, bit) => [name, (mask & (1 << bit)) !== 0])),
  );
}

export const describeOptions = (options: RoleOptions): string =>
  Object.entries(options)
    .filter(([, chosen]) => chosen)
    .map(([name]) => name)
    .join('+') || 'no optional roles';

/** The state after a successful action; fails the test with the rule if it was refused. */
export function ok(result: ApplyResult): GameState {
  if ('error' in result) {
    throw new Error(`refused: ${result.error.code} ${result.error.message}`);
  }
  return result.state;
}

/** The refusal; fails the test if the action was applied. */
export function refusal(result: ApplyResult): RuleError {
  if (!('error' in result)) {
    throw new Error(`applied, expected a refusal (phase ${result.state.phase})`);
  }
  return result.error;
}

/** Applies and expects success, with a fixed seed unless one is given. */
export function run(
  state: GameState | undefined,
  action: GameAction,
  actor: string,
  random: GameRandom = seededRandom(1),
): GameState {
  return ok(apply(state, action, actor, random));
}

/** A lobby hosted by players[0] with every player seated in order. */
export function seatedLobby(players: string[], roles: RoleOptions = {}): GameState {
  let state = run(undefined, { type: 'create', roomId: 'r1', roles }, players[0]);
  for (const userId of players) {
    state = run(state, { type: 'sit' }, userId);
  }
  return state;
}

/** A started game of `count` players p0…, hosted by p0. */
export function startedGame(count: number, roles: RoleOptions = {}, seed = 1): GameState {
  return run(seatedLobby(playerIds(count), roles), { type: 'start' }, 'p0', seededRandom(seed));
}

export function roleOf(state: GameState, userId: string): GameRole {
  const role = state.players.find((p) => p.userId === userId)?.role;
  if (role === undefined) {
    throw new Error(`${userId} has no role`);
  }
  return role;
}

export const holderOf = (state: GameState, role: GameRole): string =>
  state.players.find((p) => p.role === role)?.userId ?? '(nobody)';

export const usersOfSide = (state: GameState, side: GameSide): string[] =>
  state.players.filter((p) => sideOfRole(roleOf(state, p.userId)) === side).map((p) => p.userId);

export const teamSize = (state: GameState): number => state.quests[state.questIndex].size;

/** Every seated player votes, in seat order; `approve` decides each vote. */
export function voteAll(state: GameState, approve: (userId: string) => boolean): GameState {
  let next = state;
  for (const { userId } of state.players) {
    next = run(next, { type: 'vote', approve: approve(userId) }, userId);
  }
  return next;
}

/** The leader proposes `team` and everyone approves: the team is on the quest. */
export const sendTeam = (state: GameState, team: string[]): GameState =>
  voteAll(run(state, { type: 'propose', team }, state.leader as string), () => true);

/** Every team member plays; those in `failers` play fail. */
export function playCards(state: GameState, failers: string[] = []): GameState {
  let next = state;
  for (const userId of state.proposal?.team ?? []) {
    next = run(next, { type: 'quest', success: !failers.includes(userId) }, userId);
  }
  return next;
}

/** The first seated players, as many as the current quest needs. */
export const firstPlayers = (state: GameState): string[] =>
  state.players.slice(0, teamSize(state)).map((p) => p.userId);

/** The leader proposes the first players and everyone rejects. */
export const rejectTeam = (state: GameState): GameState =>
  voteAll(
    run(state, { type: 'propose', team: firstPlayers(state) }, state.leader as string),
    () => false,
  );

/** Sends an all-good team that succeeds. */
export function winQuest(state: GameState): GameState {
  return playCards(sendTeam(state, usersOfSide(state, 'good').slice(0, teamSize(state))));
}

/** Sends a team with `failing` evil members (the rest good), who all play fail. */
export function loseQuest(state: GameState, failing = 1): GameState {
  const evil = usersOfSide(state, 'evil').slice(0, failing);
  const good = usersOfSide(state, 'good').slice(0, teamSize(state) - evil.length);
  return playCards(sendTeam(state, [...evil, ...good]), evil);
}

/** Freezes the whole state, so any mutation by the engine throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}

export type PlayPhase = 'lobby' | 'proposing' | 'voting' | 'questing' | 'assassinating';

/** A 5-player game hosted by p0 in the given phase. */
export function gameInPhase(phase: PlayPhase): GameState {
  const game = startedGame(5, {}, 2);
  switch (phase) {
    case 'lobby':
      return seatedLobby(playerIds(5));
    case 'proposing':
      return game;
    case 'voting':
      return run(game, { type: 'propose', team: firstPlayers(game) }, game.leader as string);
    case 'questing':
      return sendTeam(game, firstPlayers(game));
    case 'assassinating':
      return winQuest(winQuest(winQuest(game)));
  }
}
