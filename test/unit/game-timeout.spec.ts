import { apply } from '../../src/game/rules/apply.js';
import type { GameAction } from '../../src/game/rules/game-action.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import { viewFor } from '../../src/game/rules/views.js';
import {
  gameInPhase,
  refusal,
  run,
  sendTeam,
  seededRandom,
  startedGame,
  usersOfSide,
} from '../support/game-rules.js';

const random = seededRandom(1);

describe('turn timeout (the timer’s default action)', () => {
  const timeout = (state: GameState): GameAction => ({ type: 'timeout', version: state.version });

  it('a leader who does not propose passes the leadership; it is not a rejection', () => {
    const state = gameInPhase('proposing');
    const next = run(state, timeout(state), 'server');
    expect(next).toMatchObject({ phase: 'proposing', rejections: 0, version: state.version + 1 });
    expect(next.leader).not.toBe(state.leader);
  });

  it('missing votes count as reject', () => {
    let state = gameInPhase('voting');
    for (const userId of ['p0', 'p1']) {
      state = run(state, { type: 'vote', approve: true }, userId);
    }
    const next = run(state, timeout(state), 'server');
    expect(next).toMatchObject({ phase: 'proposing', rejections: 1, version: state.version + 1 });
    expect(viewFor(next, 'p4').proposal?.votes).toStrictEqual({
      p0: true,
      p1: true,
      p2: false,
      p3: false,
      p4: false,
    });
  });

  it('missing quest cards count as success', () => {
    const game = startedGame(5, {}, 2);
    const [evil] = usersOfSide(game, 'evil');
    const [good] = usersOfSide(game, 'good');
    const state = run(sendTeam(game, [evil, good]), { type: 'quest', success: true }, good);
    const next = run(state, timeout(state), 'server');
    expect(next).toMatchObject({ phase: 'proposing', questIndex: 1, version: state.version + 1 });
    expect(next.quests[0]).toMatchObject({ result: 'success', fails: 0 });
  });

  it('an Assassin who names nobody lets Merlin survive', () => {
    const state = gameInPhase('assassinating');
    expect(run(state, timeout(state), 'server')).toMatchObject({
      phase: 'over',
      winner: 'good',
      reason: 'merlin-survived',
    });
  });

  it('refuses a stale deadline and a phase that waits on nobody', () => {
    const state = gameInPhase('voting');
    expect(
      refusal(apply(state, { type: 'timeout', version: state.version - 1 }, 's', random)).code,
    ).toBe('BAD_REQUEST');
    for (const idle of [gameInPhase('lobby'), run(state, { type: 'end' }, 'p0')]) {
      expect(refusal(apply(idle, timeout(idle), 's', random))).toStrictEqual({
        code: 'BAD_REQUEST',
        message: `no turn is waiting in the ${idle.phase} phase`,
      });
    }
  });
});
