import { badRequest, forbidden, type ApplyResult } from './game-action.js';
import type { GameState, ProposalState } from './game-state.js';
import { requirePhase } from './phase-guard.js';
import { isSeated, nextClockwise } from './seats.js';
import { MAX_REJECTIONS } from './setup.js';

/** The leader proposes a team of the quest's size: distinct seated players. */
export function propose(state: GameState, team: string[], actor: string): ApplyResult {
  const wrongPhase = requirePhase(state, 'proposing', 'game:propose');
  if (wrongPhase) {
    return wrongPhase;
  }
  if (actor !== state.leader) {
    return forbidden('only the leader proposes a team');
  }
  const size = state.quests[state.questIndex].size;
  if (team.length !== size) {
    return badRequest(`quest ${state.questIndex + 1} needs a team of ${size}, not ${team.length}`);
  }
  if (new Set(team).size !== team.length) {
    return badRequest('a team lists distinct players');
  }
  if (!team.every((userId) => isSeated(state, userId))) {
    return badRequest('a team holds seated players only');
  }
  const proposal: ProposalState = { leader: actor, team: [...team], votes: [] };
  return { state: { ...state, phase: 'voting', proposal, questCards: undefined } };
}

/** One sealed vote per seated player per proposal; the last one resolves the vote. */
export function vote(state: GameState, approve: boolean, actor: string): ApplyResult {
  const wrongPhase = requirePhase(state, 'voting', 'game:vote');
  if (wrongPhase) {
    return wrongPhase;
  }
  if (!isSeated(state, actor)) {
    return forbidden('only seated players vote');
  }
  const proposal = state.proposal as ProposalState;
  if (proposal.votes.some((cast) => cast.userId === actor)) {
    return badRequest('one vote per player per proposal: you have voted');
  }
  const votes = [...proposal.votes, { userId: actor, approve }];
  return { state: settleVote({ ...state, proposal: { ...proposal, votes } }) };
}

/**
 * Resolves the vote once every seated player has voted: a strict majority sends the team on
 * the quest; otherwise a rejection, the fifth in a row making evil win. The leadership passes
 * clockwise either way.
 */
export function settleVote(state: GameState): GameState {
  const proposal = state.proposal as ProposalState;
  if (proposal.votes.length < state.players.length) {
    return state;
  }
  const approvals = proposal.votes.filter((cast) => cast.approve).length;
  const leader = nextClockwise(state, proposal.leader);
  if (approvals * 2 > state.players.length) {
    return { ...state, leader, phase: 'questing', rejections: 0, questCards: [] };
  }
  const rejections = state.rejections + 1;
  if (rejections >= MAX_REJECTIONS) {
    return {
      ...state,
      leader,
      rejections,
      phase: 'over',
      winner: 'evil',
      reason: 'five-rejections',
    };
  }
  return { ...state, leader, rejections, phase: 'proposing' };
}

/** A leader who let the deadline pass hands the leadership on; not a rejection. */
export function passLeadership(state: GameState): GameState {
  return { ...state, leader: nextClockwise(state, state.leader as string) };
}
