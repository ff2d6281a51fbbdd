import type { GameMe, GameProposal, GameView } from '@avalon-realtime/client/protocol';
import type { GameState, ProposalState, SeatedPlayer } from './game-state.js';
import { sightsFor } from './knowledge.js';
import { findPlayer } from './seats.js';
import { sideOf } from './setup.js';

/**
 * What `userId` may see of the game: a pure function of the state and that id. Votes appear
 * only once all are cast, roles only when the game is over, `me` only for a seated player
 * once roles are dealt; who played which quest card never appears.
 */
export function viewFor(state: GameState, userId: string): GameView {
  const view: GameView = {
    roomId: state.roomId,
    gameId: state.gameId,
    version: state.version,
    phase: state.phase,
    host: state.host,
    players: state.players.map(({ userId: id, seat }) => ({ userId: id, seat })),
    leader: state.leader,
    questIndex: state.questIndex,
    rejections: state.rejections,
    quests: state.quests.map((quest) => ({ ...quest })),
  };
  if (state.proposal) {
    view.proposal = proposalView(state, state.proposal);
  }
  if (state.questCards) {
    // In team order, like votesCast in seat order: the view does not keep the order of play.
    const played = new Set(state.questCards.map((card) => card.userId));
    view.questPlayed = (state.proposal?.team ?? []).filter((id) => played.has(id));
  }
  const me = meFor(state, userId);
  if (me) {
    view.me = me;
  }
  return state.phase === 'over' ? withOutcome(view, state) : view;
}

/** The proposal with the voters in seat order; their votes only once all are in. */
function proposalView(state: GameState, proposal: ProposalState): GameProposal {
  const voted = new Set(proposal.votes.map((cast) => cast.userId));
  const view: GameProposal = {
    leader: proposal.leader,
    team: [...proposal.team],
    votesCast: state.players.map((p) => p.userId).filter((id) => voted.has(id)),
  };
  if (proposal.votes.length === state.players.length) {
    view.votes = Object.fromEntries(proposal.votes.map((cast) => [cast.userId, cast.approve]));
  }
  return view;
}

function meFor(state: GameState, userId: string): GameMe | undefined {
  const role = findPlayer(state, userId)?.role;
  if (role === undefined) {
    return undefined;
  }
  return { role, side: sideOf(role), sees: sightsFor(state, userId) };
}

/** Winner, reason and every role, once the game is over (an abandoned one has no winner). */
function withOutcome(view: GameView, state: GameState): GameView {
  const dealt = state.players.filter((p): p is Required<SeatedPlayer> => p.role !== undefined);
  const outcome: GameView = { ...view, reason: state.reason };
  if (state.winner) {
    outcome.winner = state.winner;
  }
  if (dealt.length > 0) {
    outcome.roles = Object.fromEntries(dealt.map((p) => [p.userId, p.role]));
  }
  return outcome;
}
