import { apply } from '../../src/game/rules/apply.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import { viewFor } from '../../src/game/rules/views.js';
import {
  gameInPhase,
  holderOf,
  loseQuest,
  type PlayPhase,
  refusal,
  rejectTeam,
  run,
  seededRandom,
  startedGame,
  winQuest,
} from '../support/game-rules.js';

const random = seededRandom(1);
const times = (n: number, step: (s: GameState) => GameState, state: GameState) =>
  Array.from({ length: n }).reduce<GameState>((s) => step(s), state);

describe('five rejections', () => {
  it('the fifth rejection in a row for one quest makes evil win at once', () => {
    const four = times(4, rejectTeam, startedGame(6));
    expect(four).toMatchObject({ phase: 'proposing', rejections: 4 });
    const over = rejectTeam(four);
    expect(viewFor(over, 'watcher')).toMatchObject({
      phase: 'over',
      rejections: 5,
      winner: 'evil',
      reason: 'five-rejections',
    });
  });

  it('rejections do not add up across an approved team', () => {
    let state = times(4, rejectTeam, startedGame(5));
    state = winQuest(state);
    state = times(4, rejectTeam, state);
    expect(state).toMatchObject({ phase: 'proposing', rejections: 4, questIndex: 1 });
  });
});

describe('quests decide the game', () => {
  it('three failed quests: evil wins', () => {
    // 8 players: quest 4 needs two fail cards.
    const state = loseQuest(winQuest(loseQuest(loseQuest(startedGame(8)))), 2);
    expect(viewFor(state, 'p1')).toMatchObject({
      phase: 'over',
      winner: 'evil',
      reason: 'three-fails',
    });
    expect(state.quests.map((q) => q.result)).toStrictEqual([
      'fail',
      'fail',
      'success',
      'fail',
      undefined,
    ]);
  });

  it('three successful quests: the Assassin’s turn', () => {
    const state = winQuest(winQuest(winQuest(startedGame(5))));
    expect(state).toMatchObject({ phase: 'assassinating', questIndex: 2 });
    expect(viewFor(state, 'p0').winner).toBeUndefined();
  });
});

describe('assassination', () => {
  const options = { percival: true, morgana: true, mordred: true, oberon: true };
  const ready = winQuest(winQuest(winQuest(startedGame(10, options, 5))));
  const assassin = holderOf(ready, 'assassin');
  const shoot = (target: string, actor = assassin) =>
    apply(ready, { type: 'assassinate', target }, actor, random);

  it('naming Merlin: evil wins', () => {
    const state = run(ready, { type: 'assassinate', target: holderOf(ready, 'merlin') }, assassin);
    expect(viewFor(state, 'watcher')).toMatchObject({
      phase: 'over',
      winner: 'evil',
      reason: 'merlin-assassinated',
    });
  });

  it.each(['percival', 'servant', 'oberon'] as const)('naming the %s: good wins', (role) => {
    const result = shoot(holderOf(ready, role));
    expect('state' in result && viewFor(result.state, 'p1')).toMatchObject({
      phase: 'over',
      winner: 'good',
      reason: 'merlin-survived',
    });
  });

  it.each(['assassin', 'morgana', 'mordred'] as const)(
    'refuses the %s as target: the Assassin knows them to be evil',
    (role) => {
      expect(refusal(shoot(holderOf(ready, role)))).toStrictEqual({
        code: 'BAD_REQUEST',
        message: 'the Assassin names a good player, not one known to be evil',
      });
    },
  );

  it('refuses a target who is not seated, and anyone but the Assassin', () => {
    expect(refusal(shoot('watcher'))).toStrictEqual({
      code: 'BAD_REQUEST',
      message: 'the Assassin names a seated player',
    });
    for (const actor of [holderOf(ready, 'morgana'), holderOf(ready, 'merlin'), 'watcher']) {
      expect(refusal(shoot(holderOf(ready, 'merlin'), actor))).toStrictEqual({
        code: 'FORBIDDEN',
        message: 'only the Assassin names Merlin',
      });
    }
  });
});

describe('game:end', () => {
  it.each<PlayPhase>(['lobby', 'proposing', 'voting', 'questing', 'assassinating'])(
    'the host abandons the game in the %s phase: over, no winner',
    (phase) => {
      const state = gameInPhase(phase);
      expect(refusal(apply(state, { type: 'end' }, 'p1', random))).toStrictEqual({
        code: 'FORBIDDEN',
        message: 'only the host ends the game',
      });
      const over = run(state, { type: 'end' }, 'p0');
      const view = viewFor(over, 'p1');
      expect(view).toMatchObject({
        phase: 'over',
        reason: 'abandoned',
        version: state.version + 1,
      });
      expect(view.winner).toBeUndefined();
      expect(refusal(apply(over, { type: 'end' }, 'p0', random))).toStrictEqual({
        code: 'BAD_REQUEST',
        message: 'game:end: the game is already over',
      });
    },
  );
});
