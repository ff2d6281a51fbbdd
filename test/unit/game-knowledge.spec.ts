import type { GameRole, RoleOptions } from '@avalon-realtime/client/protocol';
import type { GameState } from '../../src/game/rules/game-state.js';
import { viewFor } from '../../src/game/rules/views.js';
import {
  allRoleOptions,
  describeOptions,
  holderOf,
  playerIds,
  roleOf,
  run,
  seatedLobby,
  sideOfRole,
  startedGame,
} from '../support/game-rules.js';
import { expectedSights } from '../support/game-tables.js';

/** Evil seats by player count: the Assassin plus the evil optional roles must fit. */
const EVIL_SEATS: Record<number, number> = { 5: 2, 6: 2, 7: 3, 8: 3, 9: 3, 10: 4 };
const evilOptional = (o: RoleOptions) => [o.morgana, o.mordred, o.oberon].filter(Boolean).length;

const grid = [5, 6, 7, 8, 9, 10].flatMap((count) =>
  allRoleOptions()
    .filter((options) => 1 + evilOptional(options) <= EVIL_SEATS[count])
    .map((options) => ({ count, options, name: describeOptions(options) })),
);

describe('knowledge matrix: every player count × every valid role set, every player', () => {
  it.each(grid)('$count players, $name', ({ count, options }) => {
    for (const seed of [1, 2, 3]) {
      const state = startedGame(count, options, seed);
      for (const { userId } of state.players) {
        const me = viewFor(state, userId).me;
        const role = roleOf(state, userId);
        expect(me).toStrictEqual({
          role,
          side: sideOfRole(role),
          sees: expectedSights(state, userId),
        });
      }
    }
  });
});

describe('knowledge matrix: the rules one by one (10 players)', () => {
  const all = startedGame(10, { percival: true, morgana: true, mordred: true, oberon: true });
  const noOberon = startedGame(10, { percival: true, morgana: true, mordred: true });
  const sees = (state: GameState, role: GameRole): string[] =>
    (viewFor(state, holderOf(state, role)).me?.sees ?? [])
      .map((s) => roleOf(state, s.userId))
      .sort();
  it('Merlin sees every evil player but Mordred, Oberon included', () => {
    expect(sees(all, 'merlin')).toStrictEqual(['assassin', 'morgana', 'oberon']);
    expect(sees(noOberon, 'merlin')).toStrictEqual(['assassin', 'minion', 'morgana']);
  });

  it('evil players but Oberon see each other, Mordred included, Oberon not', () => {
    expect(sees(all, 'assassin')).toStrictEqual(['mordred', 'morgana']);
    expect(sees(all, 'morgana')).toStrictEqual(['assassin', 'mordred']);
    expect(sees(all, 'mordred')).toStrictEqual(['assassin', 'morgana']);
    expect(sees(all, 'oberon')).toStrictEqual([]);
    expect(sees(noOberon, 'minion')).toStrictEqual(['assassin', 'mordred', 'morgana']);
    expect(sees(noOberon, 'assassin')).toStrictEqual(['minion', 'mordred', 'morgana']);
  });

  it('Percival sees Merlin and Morgana alike, as "merlin-or-morgana"', () => {
    const sights = viewFor(all, holderOf(all, 'percival')).me?.sees ?? [];
    expect(sights.map((s) => s.as)).toStrictEqual(['merlin-or-morgana', 'merlin-or-morgana']);
    expect(sees(all, 'percival')).toStrictEqual(['merlin', 'morgana']);
  });

  it('a servant knows only their own role', () => {
    expect(sees(all, 'servant')).toStrictEqual([]);
  });

  it('without Morgana, Percival sees Merlin alone, still as "merlin-or-morgana"', () => {
    const game = startedGame(5, { percival: true });
    const sights = viewFor(game, holderOf(game, 'percival')).me?.sees;
    expect(sights).toStrictEqual([{ userId: holderOf(game, 'merlin'), as: 'merlin-or-morgana' }]);
  });

  it('lists sights in seat order', () => {
    const seats = (viewFor(all, holderOf(all, 'merlin')).me?.sees ?? []).map((s) =>
      Number(s.userId.slice(1)),
    );
    expect(seats).toStrictEqual([...seats].sort((a, b) => a - b));
  });
});

describe('knowledge: who has a `me` at all', () => {
  it('nobody in the lobby, seated or not', () => {
    const lobby = seatedLobby(playerIds(5));
    expect(viewFor(lobby, 'p0').me).toBeUndefined();
    expect(viewFor(lobby, 'watcher').me).toBeUndefined();
  });

  it('a spectator never, while every seated player has one', () => {
    const state = startedGame(6);
    expect(viewFor(state, 'watcher').me).toBeUndefined();
    expect(state.players.every(({ userId }) => viewFor(state, userId).me)).toBe(true);
  });

  it('roles are revealed to everyone once the game is over, not before', () => {
    const state = startedGame(5);
    expect(viewFor(state, 'watcher').roles).toBeUndefined();
    const over = run(state, { type: 'end' }, 'p0');
    const roles = Object.fromEntries(over.players.map((p) => [p.userId, p.role]));
    expect(viewFor(over, 'watcher').roles).toStrictEqual(roles);
    expect(viewFor(over, 'p3').roles).toStrictEqual(roles);
  });
});
