import { badRequest, type ApplyResult } from './game-action.js';
import type { GameState, ProposalState, QuestCard } from './game-state.js';
import { settleQuest } from './questing.js';
import { passLeadership, settleVote } from './voting.js';

/**
 * The turn timer's default action for the phase that was waiting at `version` (GAME.md):
 * a leader who did not propose passes the leadership, missing votes count as reject, missing
 * quest cards as success, and an Assassin who names nobody lets Merlin survive.
 */
export function timeout(state: GameState, version: number): ApplyResult {
  if (version !== state.version) {
    return badRequest(
      `the deadline of version ${version} is stale: the game is at ${state.version}`,
    );
  }
  switch (state.phase) {
    case 'proposing':
      return { state: passLeadership(state) };
    case 'voting':
      return { state: settleVote(withMissingVotes(state)) };
    case 'questing':
      return { state: settleQuest(withMissingCards(state)) };
    case 'assassinating':
      return {
        state: { ...state, phase: 'over', winner: 'good', reason: 'merlin-survived' },
      };
    case 'lobby':
    case 'over':
      return badRequest(`no turn is waiting in the ${state.phase} phase`);
  }
}

function withMissingVotes(state: GameState): GameState {
  const proposal = state.proposal as ProposalState;
  const voted = new Set(proposal.votes.map((cast) => cast.userId));
  const missing = state.players.filter((p) => !voted.has(p.userId));
  const votes = [...proposal.votes, ...missing.map((p) => ({ userId: p.userId, approve: false }))];
  return { ...state, proposal: { ...proposal, votes } };
}

function withMissingCards(state: GameState): GameState {
  const team = (state.proposal as ProposalState).team;
  const cards = state.questCards as QuestCard[];
  const played = new Set(cards.map((card) => card.userId));
  const missing = team.filter((userId) => !played.has(userId));
  const questCards = [...cards, ...missing.map((userId) => ({ userId, success: true }))];
  return { ...state, questCards };
}
