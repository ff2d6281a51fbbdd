import type {
  GameQuest,
  GameRole,
  GameSide,
  OptionalRole,
  RoleOptions,
} from '@avalon-realtime/client/protocol';

export const MIN_PLAYERS = 5;
export const MAX_PLAYERS = 10;
/** Seats are numbered 0 to SEATS - 1. */
export const SEATS = 10;
export const QUESTS = 5;
/** Quests won (or lost) that decide the quest stage. */
export const QUESTS_TO_WIN = 3;
/** Rejected proposals in a row for one quest that make evil win. */
export const MAX_REJECTIONS = 5;

export const OPTIONAL_ROLES: readonly OptionalRole[] = ['percival', 'morgana', 'mordred', 'oberon'];

/** Good and evil player counts by player count (GAME.md). */
const SIDES: Readonly<Record<number, readonly [good: number, evil: number]>> = {
  5: [3, 2],
  6: [4, 2],
  7: [4, 3],
  8: [5, 3],
  9: [6, 3],
  10: [6, 4],
};

/** Team sizes of quests 1–5 by player count (GAME.md). */
const TEAM_SIZES: Readonly<Record<number, readonly number[]>> = {
  5: [2, 3, 2, 3, 3],
  6: [2, 3, 4, 3, 4],
  7: [2, 3, 3, 4, 4],
  8: [3, 4, 4, 5, 5],
  9: [3, 4, 4, 5, 5],
  10: [3, 4, 4, 5, 5],
};

const EVIL_ROLES: ReadonlySet<GameRole> = new Set([
  'assassin',
  'morgana',
  'mordred',
  'oberon',
  'minion',
]);

export const sideOf = (role: GameRole): GameSide => (EVIL_ROLES.has(role) ? 'evil' : 'good');

export function sideCounts(playerCount: number): { good: number; evil: number } {
  const [good, evil] = SIDES[playerCount];
  return { good, evil };
}

/** The five quests of a game of `playerCount` players, none played yet. */
export function questsFor(playerCount: number): GameQuest[] {
  return TEAM_SIZES[playerCount].map((size, index) => ({
    size,
    twoFailsNeeded: index === 3 && playerCount >= 7,
  }));
}

/** Every optional role as a boolean: unknown keys and non-true values count as not chosen. */
export function normalizeOptions(roles: RoleOptions | undefined): Record<OptionalRole, boolean> {
  return {
    percival: roles?.percival === true,
    morgana: roles?.morgana === true,
    mordred: roles?.mordred === true,
    oberon: roles?.oberon === true,
  };
}

/**
 * The roles to deal to `playerCount` players, or why the chosen optional roles do not fit:
 * Merlin and the Assassin always, the chosen optional roles, servants and minions for the rest.
 */
export function roleSetFor(
  playerCount: number,
  options: Record<OptionalRole, boolean>,
): GameRole[] | string {
  const { good, evil } = sideCounts(playerCount);
  const chosen = OPTIONAL_ROLES.filter((role) => options[role]);
  const goodSpecial: GameRole[] = ['merlin', ...chosen.filter((r) => sideOf(r) === 'good')];
  const evilSpecial: GameRole[] = ['assassin', ...chosen.filter((r) => sideOf(r) === 'evil')];
  if (goodSpecial.length > good || evilSpecial.length > evil) {
    const side = evilSpecial.length > evil ? 'evil' : 'good';
    const special = side === 'evil' ? evilSpecial : goodSpecial;
    const seats = side === 'evil' ? evil : good;
    return (
      `the role set does not fit ${playerCount} players: ${seats} ${side} players ` +
      `cannot hold ${special.join(', ')}`
    );
  }
  const servants = Array<GameRole>(good - goodSpecial.length).fill('servant');
  const minions = Array<GameRole>(evil - evilSpecial.length).fill('minion');
  return [...goodSpecial, ...servants, ...evilSpecial, ...minions];
}
