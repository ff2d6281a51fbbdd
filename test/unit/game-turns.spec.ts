import { apply } from '../../src/game/rules/apply.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import { viewFor } from '../../src/game/rules/views.js';
import {
  firstPlayers,
  loseQuest,
  playCards,
  playerIds,
  refusal,
  rejectTeam,
  run,
  seatedLobby,
  seededRandom,
  sendTeam,
  startedGame,
  voteAll,
  winQuest,
} from '../support/game-rules.js';
import { TEAM_SIZES } from '../support/game-tables.js';

const random = seededRandom(1);
const propose = (state: GameState, team: string[]) =>
  run(state, { type: 'propose', team }, state.leader as string);
/** Players seated at 0, 3, 7, 8, 9 (gaps), started. */
function gappedGame(): GameState {
  let state = run(undefined, { type: 'create', roomId: 'r1' }, 'a');
  for (const [userId, seat] of [
    ['e', 9],
    ['a', 0],
    ['c', 7],
    ['b', 3],
    ['d', 8],
  ] as const) {
    state = run(state, { type: 'sit', seat }, userId);
  }
  return run(state, { type: 'start' }, 'a', seededRandom(4));
}

describe('leadership', () => {
  it('passes clockwise by seat after every vote, approved or not, wrapping past gaps', () => {
    let state = gappedGame();
    const order = ['a', 'b', 'c', 'd', 'e'];
    const leaders = [state.leader];
    state = rejectTeam(state);
    leaders.push(state.leader);
    state = playCards(sendTeam(state, firstPlayers(state)));
    leaders.push(state.leader);
    for (let i = 0; i < 3 && state.phase === 'proposing'; i++) {
      state = rejectTeam(state);
      leaders.push(state.leader);
    }
    const start = order.indexOf(leaders[0] as string);
    expect(leaders).toStrictEqual(leaders.map((_, i) => order[(start + i) % 5]));
  });

  it('a team approved resets the rejections to 0', () => {
    let state = rejectTeam(rejectTeam(startedGame(5)));
    expect(state.rejections).toBe(2);
    state = sendTeam(state, firstPlayers(state));
    expect(state).toMatchObject({ phase: 'questing', rejections: 0 });
  });
});

describe('votes', () => {
  it.each([
    [5, 3, 'questing'],
    [5, 2, 'proposing'],
    [6, 4, 'questing'],
    [6, 3, 'proposing'],
    [10, 6, 'questing'],
    [10, 5, 'proposing'],
  ])('%i players, %i approvals: %s (a strict majority approves)', (count, approvals, phase) => {
    const state = propose(startedGame(count), firstPlayers(startedGame(count)));
    const approving = new Set(playerIds(count).slice(0, approvals));
    expect(voteAll(state, (userId) => approving.has(userId)).phase).toBe(phase);
  });

  it('stay sealed until all are cast, then are revealed to everyone until the next proposal', () => {
    let state = propose(startedGame(5), ['p0', 'p1']);
    for (const userId of ['p3', 'p0', 'p4', 'p1']) {
      state = run(state, { type: 'vote', approve: userId !== 'p4' }, userId);
      for (const viewer of [...playerIds(5), 'watcher']) {
        expect(viewFor(state, viewer).proposal?.votes).toBeUndefined();
      }
    }
    expect(viewFor(state, 'p2').proposal?.votesCast).toStrictEqual(['p0', 'p1', 'p3', 'p4']);
    state = run(state, { type: 'vote', approve: false }, 'p2');
    const votes = { p0: true, p1: true, p2: false, p3: true, p4: false };
    expect(viewFor(state, 'watcher').proposal).toMatchObject({ team: ['p0', 'p1'], votes });
    state = playCards(state);
    expect(viewFor(state, 'p4').proposal?.votes).toStrictEqual(votes);
    state = propose(state, firstPlayers(state));
    expect(viewFor(state, 'p4').proposal).toMatchObject({ votesCast: [] });
    expect(viewFor(state, 'p4').proposal?.votes).toBeUndefined();
  });

  it('work for players named like Object.prototype’s properties', () => {
    const players = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    let state = run(seatedLobby(players), { type: 'start' }, '__proto__', seededRandom(3));
    state = propose(state, players.slice(0, 2));
    state = voteAll(state, (userId) => userId !== 'constructor');
    const votes = viewFor(state, 'toString').proposal?.votes ?? {};
    expect(Object.keys(votes).sort()).toStrictEqual([...players].sort());
    expect(JSON.parse(JSON.stringify(votes))).toStrictEqual(
      JSON.parse(
        '{"__proto__":true,"constructor":false,"toString":true,"hasOwnProperty":true,"valueOf":true}',
      ),
    );
    const over = run(state, { type: 'end' }, '__proto__');
    expect(Object.keys(viewFor(over, 'x').roles ?? {}).sort()).toStrictEqual([...players].sort());
  });

  it('refuse a second vote and a vote by someone not seated', () => {
    const state = run(propose(startedGame(5), ['p0', 'p1']), { type: 'vote', approve: true }, 'p2');
    expect(refusal(apply(state, { type: 'vote', approve: false }, 'p2', random))).toStrictEqual({
      code: 'BAD_REQUEST',
      message: 'one vote per player per proposal: you have voted',
    });
    expect(refusal(apply(state, { type: 'vote', approve: true }, 'watcher', random))).toStrictEqual(
      { code: 'FORBIDDEN', message: 'only seated players vote' },
    );
  });
});

describe('team sizes', () => {
  it.each([5, 6, 7, 8, 9, 10])('%i players: each quest takes exactly its size', (count) => {
    let state = startedGame(count);
    for (const [quest, size] of TEAM_SIZES[count].entries()) {
      expect(state).toMatchObject({ phase: 'proposing', questIndex: quest });
      const seated = state.players.map((p) => p.userId);
      for (const wrong of [size - 1, size + 1]) {
        const error = refusal(
          apply(
            state,
            { type: 'propose', team: seated.slice(0, wrong) },
            state.leader as string,
            random,
          ),
        );
        expect(error).toStrictEqual({
          code: 'BAD_REQUEST',
          message: `quest ${quest + 1} needs a team of ${size}, not ${wrong}`,
        });
      }
      // Win, lose, win, lose, win: the game reaches the fifth quest.
      state = quest % 2 === 0 ? winQuest(state) : loseQuest(state, quest === 3 ? 2 : 1);
      expect(state.quests[quest]).toMatchObject({
        size,
        result: quest % 2 === 0 ? 'success' : 'fail',
      });
    }
    expect(state.phase).toBe('assassinating');
  });

  it('refuses duplicates and players who are not seated', () => {
    const state = startedGame(5);
    const leader = state.leader as string;
    expect(
      refusal(apply(state, { type: 'propose', team: ['p1', 'p1'] }, leader, random)),
    ).toStrictEqual({
      code: 'BAD_REQUEST',
      message: 'a team lists distinct players',
    });
    expect(
      refusal(apply(state, { type: 'propose', team: ['p1', 'x'] }, leader, random)),
    ).toStrictEqual({
      code: 'BAD_REQUEST',
      message: 'a team holds seated players only',
    });
  });
});
