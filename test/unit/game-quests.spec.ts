import { apply } from '../../src/game/rules/apply.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import { viewFor } from '../../src/game/rules/views.js';
import {
  loseQuest,
  playerIds,
  refusal,
  run,
  sendTeam,
  seededRandom,
  startedGame,
  usersOfSide,
  winQuest,
} from '../support/game-rules.js';

const random = seededRandom(1);

describe('quest cards', () => {
  /** Plays quests until quest 4 (index 3) is being proposed: win, lose, win. */
  const atQuestFour = (count: number) =>
    winQuest(loseQuest(winQuest(startedGame(count, {}, count))));

  it.each([7, 8, 9, 10])('%i players, quest 4: one fail still succeeds, two fail it', (count) => {
    const state = atQuestFour(count);
    expect(state.quests[3].twoFailsNeeded).toBe(true);
    expect(loseQuest(state, 1).quests[3]).toMatchObject({ result: 'success', fails: 1 });
    expect(loseQuest(state, 2).quests[3]).toMatchObject({ result: 'fail', fails: 2 });
  });

  it.each([5, 6])('%i players, quest 4: one fail fails it', (count) => {
    const state = atQuestFour(count);
    expect(state.quests[3].twoFailsNeeded).toBe(false);
    expect(loseQuest(state, 1).quests[3]).toMatchObject({ result: 'fail', fails: 1 });
  });

  it.each([7, 10])('%i players: one fail fails every other quest', (count) => {
    let state = startedGame(count, {}, 3);
    state = loseQuest(state, 1);
    expect(state.quests[0]).toMatchObject({ result: 'fail', fails: 1 });
    state = loseQuest(winQuest(state), 1);
    expect(state.quests[2]).toMatchObject({ result: 'fail', fails: 1 });
  });

  it('shows who played, never what; only the number of fails once all are in', () => {
    let state = startedGame(5, {}, 7);
    const evil = usersOfSide(state, 'evil')[0];
    const good = usersOfSide(state, 'good')[0];
    state = sendTeam(state, [good, evil]);
    state = run(state, { type: 'quest', success: false }, evil);
    for (const viewer of [...playerIds(5), 'watcher']) {
      const view = viewFor(state, viewer);
      expect(view.questPlayed).toStrictEqual([evil]);
      expect(view.quests[0]).toStrictEqual({ size: 2, twoFailsNeeded: false });
    }
    state = run(state, { type: 'quest', success: true }, good);
    expect(viewFor(state, 'watcher').quests[0]).toStrictEqual({
      size: 2,
      twoFailsNeeded: false,
      result: 'fail',
      fails: 1,
    });
    expect(JSON.stringify(viewFor(state, good))).not.toMatch(/success"?:\s*false/);
  });

  it('refuses a good player’s fail card, a second card, and cards from outside the team', () => {
    let state = startedGame(5, {}, 7);
    const [good, other] = usersOfSide(state, 'good');
    const outsider = usersOfSide(state, 'evil')[0];
    state = sendTeam(state, [good, other]);
    const play = (s: GameState, success: boolean, actor: string) =>
      refusal(apply(s, { type: 'quest', success }, actor, random));
    expect(play(state, false, good)).toStrictEqual({
      code: 'FORBIDDEN',
      message: 'a good player may only play success',
    });
    expect(play(state, true, outsider)).toStrictEqual({
      code: 'FORBIDDEN',
      message: 'only members of the team play quest cards',
    });
    state = run(state, { type: 'quest', success: true }, good);
    expect(play(state, true, good)).toStrictEqual({
      code: 'BAD_REQUEST',
      message: 'one quest card per team member: you have played',
    });
  });
});
