import type { GameAction } from '../../src/game/rules/game-action.js';
import { apply } from '../../src/game/rules/apply.js';
import { viewFor } from '../../src/game/rules/views.js';
import {
  playerIds,
  refusal,
  run,
  seatedLobby,
  seededRandom,
  startedGame,
} from '../support/game-rules.js';

const random = seededRandom(1);
const seatsOf = (state: ReturnType<typeof seatedLobby>) =>
  state.players.map((p) => [p.userId, p.seat]);

describe('game:create', () => {
  it('opens a lobby with the creator as host and nobody seated', () => {
    const state = run(undefined, { type: 'create', roomId: 'r1' }, 'alice');
    expect(viewFor(state, 'alice')).toStrictEqual({
      roomId: 'r1',
      gameId: state.gameId,
      version: 1,
      phase: 'lobby',
      host: 'alice',
      players: [],
      leader: null,
      questIndex: 0,
      rejections: 0,
      quests: [],
    });
  });

  it('refuses a second game while one is not over, then allows a new one after it', () => {
    const game = startedGame(5);
    const error = refusal(apply(game, { type: 'create', roomId: 'r1' }, 'p3', random));
    expect(error).toStrictEqual({
      code: 'BAD_REQUEST',
      message: 'one game per room: the current game is not over',
    });
    const over = run(game, { type: 'end' }, 'p0');
    const next = run(over, { type: 'create', roomId: 'r1' }, 'p3', seededRandom(2));
    expect(next).toMatchObject({ phase: 'lobby', host: 'p3', players: [] });
    expect(next.version).toBe(over.version + 1);
    expect(next.gameId).not.toBe(over.gameId);
  });

  it.each<GameAction>([
    { type: 'sit' },
    { type: 'stand' },
    { type: 'start' },
    { type: 'propose', team: [] },
    { type: 'vote', approve: true },
    { type: 'quest', success: true },
    { type: 'assassinate', target: 'p1' },
    { type: 'end' },
    { type: 'timeout', version: 0 },
  ])('answers $type without a game with NOT_FOUND', (action) => {
    expect(refusal(apply(undefined, action, 'p0', random))).toStrictEqual({
      code: 'NOT_FOUND',
      message: 'no game in this room',
    });
  });
});

describe('game:sit and game:stand', () => {
  it('seats at the lowest free seat when none is named', () => {
    let state = run(undefined, { type: 'create', roomId: 'r1' }, 'a');
    state = run(state, { type: 'sit', seat: 0 }, 'a');
    state = run(state, { type: 'sit', seat: 2 }, 'b');
    state = run(state, { type: 'sit' }, 'c');
    state = run(state, { type: 'sit' }, 'd');
    expect(seatsOf(state)).toStrictEqual([
      ['a', 0],
      ['c', 1],
      ['b', 2],
      ['d', 3],
    ]);
  });

  it('keeps a seated player in their seat when none is named: no change, no new version', () => {
    const state = seatedLobby(['a', 'b']);
    expect(apply(state, { type: 'sit' }, 'b', random)).toStrictEqual({ state });
    expect(apply(state, { type: 'sit', seat: 1 }, 'b', random)).toStrictEqual({ state });
  });

  it('moves a seated player to a free seat they name', () => {
    const state = run(seatedLobby(['a', 'b']), { type: 'sit', seat: 9 }, 'a');
    expect(seatsOf(state)).toStrictEqual([
      ['b', 1],
      ['a', 9],
    ]);
  });

  it('refuses a seat taken by someone else', () => {
    const error = refusal(apply(seatedLobby(['a', 'b']), { type: 'sit', seat: 0 }, 'b', random));
    expect(error).toStrictEqual({
      code: 'BAD_REQUEST',
      message: 'seat 0 is taken by another player',
    });
  });

  it.each([-1, 10, 2.5, Number.NaN])('refuses seat %p', (seat) => {
    const error = refusal(apply(seatedLobby(['a']), { type: 'sit', seat }, 'b', random));
    expect(error).toStrictEqual({ code: 'BAD_REQUEST', message: 'seats are numbered 0 to 9' });
  });

  it('refuses an eleventh player: the table has ten seats', () => {
    const error = refusal(apply(seatedLobby(playerIds(10)), { type: 'sit' }, 'x', random));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/table is full/);
  });

  it('frees the seat of a player who stands; standing unseated changes nothing', () => {
    const lobby = seatedLobby(['a', 'b', 'c']);
    const state = run(lobby, { type: 'stand' }, 'b');
    expect(seatsOf(state)).toStrictEqual([
      ['a', 0],
      ['c', 2],
    ]);
    expect(state.version).toBe(lobby.version + 1);
    expect(apply(state, { type: 'stand' }, 'b', random)).toStrictEqual({ state });
  });
});

describe('game:start', () => {
  it('is for the host only', () => {
    const error = refusal(apply(seatedLobby(playerIds(5)), { type: 'start' }, 'p1', random));
    expect(error).toStrictEqual({ code: 'FORBIDDEN', message: 'only the host starts the game' });
  });

  it.each([0, 1, 4])('refuses %i seated players', (count) => {
    const lobby =
      count === 0
        ? run(undefined, { type: 'create', roomId: 'r' }, 'p0')
        : seatedLobby(playerIds(count));
    const error = refusal(apply(lobby, { type: 'start' }, 'p0', random));
    expect(error).toStrictEqual({
      code: 'BAD_REQUEST',
      message: `a game needs 5 to 10 seated players, not ${count}`,
    });
  });

  it('lets a host who is not seated start the game, and deals them no role', () => {
    const lobby = run(seatedLobby(playerIds(6)), { type: 'stand' }, 'p0');
    const state = run(lobby, { type: 'start' }, 'p0');
    expect(state.players.map((p) => p.userId)).toStrictEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(viewFor(state, 'p0').me).toBeUndefined();
  });

  it('closes the seats once the game runs', () => {
    const state = startedGame(5);
    for (const action of [{ type: 'sit' }, { type: 'stand' }, { type: 'start' }] as const) {
      const error = refusal(apply(state, action, 'p0', random));
      expect(error).toStrictEqual({
        code: 'BAD_REQUEST',
        message: `game:${action.type} is allowed only in the lobby phase (the game is proposing)`,
      });
    }
  });
});
