import type { GameRole, RoleOptions } from '@avalon-realtime/client/protocol';
import { cryptoRandom } from '../../src/game/crypto-random.js';
import { apply } from '../../src/game/rules/apply.js';
import { viewFor } from '../../src/game/rules/views.js';
import {
  allRoleOptions,
  describeOptions,
  playerIds,
  refusal,
  run,
  seatedLobby,
  seededRandom,
  sideOfRole,
} from '../support/game-rules.js';
import { SIDES, TEAM_SIZES } from '../support/game-tables.js';

const grid = [5, 6, 7, 8, 9, 10].flatMap((count) =>
  allRoleOptions().map((options) => ({ count, options, name: describeOptions(options) })),
);

/** An optional role set fits when the Assassin plus the evil optional roles fit the evil seats. */
function fits(count: number, options: RoleOptions): boolean {
  const evilOptional = [options.morgana, options.mordred, options.oberon].filter(Boolean).length;
  return 1 + evilOptional <= SIDES[count][1];
}

function countRoles(roles: GameRole[]): Map<GameRole, number> {
  const counts = new Map<GameRole, number>();
  roles.forEach((role) => counts.set(role, (counts.get(role) ?? 0) + 1));
  return counts;
}

describe('game setup: every player count × every optional role set', () => {
  const valid = grid.filter(({ count, options }) => fits(count, options));
  const refused = grid.filter(({ count, options }) => !fits(count, options));

  it('has 96 combinations, 74 valid and 22 refused', () => {
    expect([grid.length, valid.length, refused.length]).toStrictEqual([96, 74, 22]);
  });

  it.each(valid)('$count players, $name: deals the right roles', ({ count, options }) => {
    const lobby = seatedLobby(playerIds(count), options);
    const state = run(lobby, { type: 'start' }, 'p0', seededRandom(count));
    const roles = state.players.map((p) => p.role as GameRole);
    const counts = countRoles(roles);
    const [good, evil] = SIDES[count];
    expect(roles.filter((r) => sideOfRole(r) === 'good')).toHaveLength(good);
    expect(roles.filter((r) => sideOfRole(r) === 'evil')).toHaveLength(evil);
    expect([counts.get('merlin'), counts.get('assassin')]).toStrictEqual([1, 1]);
    for (const role of ['percival', 'morgana', 'mordred', 'oberon'] as const) {
      expect(counts.get(role) ?? 0).toBe(options[role] ? 1 : 0);
    }
    const special = (side: 'good' | 'evil') =>
      roles.filter((r) => sideOfRole(r) === side && r !== 'servant' && r !== 'minion').length;
    expect(counts.get('servant') ?? 0).toBe(good - special('good'));
    expect(counts.get('minion') ?? 0).toBe(evil - special('evil'));
  });

  it.each(valid)('$count players, $name: starts the first quest', ({ count, options }) => {
    const lobby = seatedLobby(playerIds(count), options);
    const state = run(lobby, { type: 'start' }, 'p0', seededRandom(count));
    expect(state).toMatchObject({ phase: 'proposing', questIndex: 0, rejections: 0 });
    expect(state.version).toBe(lobby.version + 1);
    expect(playerIds(count)).toContain(state.leader);
    expect(state.quests).toStrictEqual(
      TEAM_SIZES[count].map((size, i) => ({ size, twoFailsNeeded: count >= 7 && i === 3 })),
    );
  });

  it.each(refused)('$count players, $name: start is refused', ({ count, options }) => {
    const lobby = seatedLobby(playerIds(count), options);
    const error = refusal(apply(lobby, { type: 'start' }, 'p0', seededRandom(1)));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/role set does not fit \d+ players/);
    expect(viewFor(lobby, 'p0').phase).toBe('lobby');
  });
});

describe('game setup: randomness', () => {
  it('deals every role to every seat and picks every seat as first leader over many seeds', () => {
    const lobby = seatedLobby(playerIds(7), { percival: true, morgana: true });
    const merlins = new Set<string>();
    const leaders = new Set<string>();
    for (let seed = 1; seed <= 300; seed++) {
      const state = run(lobby, { type: 'start' }, 'p0', seededRandom(seed));
      merlins.add(state.players.find((p) => p.role === 'merlin')?.userId ?? '');
      leaders.add(state.leader ?? '');
    }
    expect([...merlins].sort()).toStrictEqual(playerIds(7));
    expect([...leaders].sort()).toStrictEqual(playerIds(7));
  });

  it('deals a valid game from the production CSPRNG source', () => {
    const lobby = seatedLobby(playerIds(8), { percival: true, morgana: true, mordred: true });
    const state = run(lobby, { type: 'start' }, 'p0', cryptoRandom);
    const roles = state.players.map((p) => p.role as GameRole);
    expect(roles.filter((r) => sideOfRole(r) === 'evil')).toHaveLength(3);
    expect([...countRoles(roles).keys()].sort()).toStrictEqual(
      ['assassin', 'merlin', 'mordred', 'morgana', 'percival', 'servant'].sort(),
    );
    expect(apply(undefined, { type: 'create', roomId: 'r' }, 'p0', cryptoRandom)).toMatchObject({
      state: { gameId: expect.stringMatching(/^g-[0-9a-f]{24}$/) },
    });
  });

  it('gives each game its own id', () => {
    const random = seededRandom(9);
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const result = apply(undefined, { type: 'create', roomId: 'r1' }, 'p0', random);
      ids.add('state' in result ? result.state.gameId : '');
    }
    expect(ids.size).toBe(50);
    expect([...ids][0]).toMatch(/^g-[0-9a-f]{24}$/);
  });
});
