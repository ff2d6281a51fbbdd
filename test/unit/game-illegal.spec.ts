import type { GamePhase } from '@avalon-realtime/client/protocol';
import { apply } from '../../src/game/rules/apply.js';
import type { GameAction, RuleErrorCode } from '../../src/game/rules/game-action.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import {
  deepFreeze,
  holderOf,
  playerIds,
  run,
  seatedLobby,
  sendTeam,
  seededRandom,
  startedGame,
  teamSize,
  usersOfSide,
  winQuest,
} from '../support/game-rules.js';

const PHASES: GamePhase[] = ['lobby', 'proposing', 'voting', 'questing', 'assassinating', 'over'];

/** A 7-player game (p0 hosts) in `phase`, with Percival, Morgana and Oberon. */
function gameIn(phase: GamePhase): GameState {
  const options = { percival: true, morgana: true, oberon: true };
  const game = startedGame(7, options, 11);
  const team = game.players.slice(0, teamSize(game)).map((p) => p.userId);
  const states: Record<GamePhase, () => GameState> = {
    lobby: () => seatedLobby(playerIds(7), options),
    proposing: () => game,
    voting: () => run(game, { type: 'propose', team }, game.leader as string),
    questing: () => sendTeam(game, team),
    assassinating: () => winQuest(winQuest(winQuest(game))),
    over: () => run(game, { type: 'end' }, 'p0'),
  };
  return states[phase]();
}

/** Every request, its payload valid, so only the phase and the actor can break a rule. */
function actionsFor(state: GameState): GameAction[] {
  const size = state.quests[state.questIndex]?.size ?? 2;
  const target = state.phase === 'assassinating' ? usersOfSide(state, 'good')[0] : 'p1';
  return [
    { type: 'create', roomId: 'r1' },
    { type: 'sit' },
    { type: 'stand' },
    { type: 'start' },
    { type: 'propose', team: playerIds(7).slice(0, size) },
    { type: 'vote', approve: true },
    { type: 'quest', success: true },
    { type: 'assassinate', target },
    { type: 'end' },
    { type: 'timeout', version: state.version },
  ];
}

/** The rules as a table: what `actor` doing `type` in `state` should get (`ok` or a code). */
function expected(state: GameState, type: GameAction['type'], actor: string): 'ok' | RuleErrorCode {
  const seated = state.players.some((p) => p.userId === actor);
  const allowed = (phase: GamePhase, may: boolean) =>
    state.phase !== phase ? 'BAD_REQUEST' : may ? 'ok' : 'FORBIDDEN';
  const table: Record<GameAction['type'], () => 'ok' | RuleErrorCode> = {
    create: () => (state.phase === 'over' ? 'ok' : 'BAD_REQUEST'),
    sit: () => allowed('lobby', true),
    stand: () => allowed('lobby', true),
    start: () => allowed('lobby', actor === 'p0'),
    propose: () => allowed('proposing', actor === state.leader),
    vote: () => allowed('voting', seated),
    quest: () => allowed('questing', state.proposal?.team.includes(actor) ?? false),
    assassinate: () => allowed('assassinating', actor === holderOf(state, 'assassin')),
    end: () => (state.phase === 'over' ? 'BAD_REQUEST' : actor === 'p0' ? 'ok' : 'FORBIDDEN'),
    timeout: () => (state.phase === 'lobby' || state.phase === 'over' ? 'BAD_REQUEST' : 'ok'),
  };
  return table[type]();
}

const cases = PHASES.flatMap((phase) => {
  const state = deepFreeze(gameIn(phase));
  return actionsFor(state).map((action) => ({ phase, type: action.type, state, action }));
});

describe('every request in every phase, by every player and a spectator', () => {
  it.each(cases)('$phase: $type', ({ state, action }) => {
    for (const actor of [...playerIds(7), 'watcher']) {
      const want = expected(state, action.type, actor);
      const result = apply(state, action, actor, seededRandom(3));
      const got = 'error' in result ? result.error.code : 'ok';
      expect(`${actor}: ${got}`).toBe(`${actor}: ${want}`);
      if ('error' in result) {
        expect(result.error.message.length).toBeGreaterThan(10);
      } else if (result.state !== state) {
        expect(result.state.version).toBe(state.version + 1);
      }
    }
  });

  it('covers 6 phases × 10 requests', () => {
    expect(cases).toHaveLength(60);
  });
});
