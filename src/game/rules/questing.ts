import type { GameQuest } from '@avalon-realtime/client/protocol';
import { badRequest, forbidden, type ApplyResult } from './game-action.js';
import type { GameState, ProposalState, QuestCard } from './game-state.js';
import { sightsFor } from './knowledge.js';
import { requirePhase } from './phase-guard.js';
import { findPlayer } from './seats.js';
import { QUESTS_TO_WIN, sideOf } from './setup.js';

/** A team member plays success or fail in secret, once; good players may only succeed. */
export function playQuest(state: GameState, success: boolean, actor: string): ApplyResult {
  const wrongPhase = requirePhase(state, 'questing', 'game:quest');
  if (wrongPhase) {
    return wrongPhase;
  }
  const proposal = state.proposal as ProposalState;
  if (!proposal.team.includes(actor)) {
    return forbidden('only members of the team play quest cards');
  }
  const cards = state.questCards as QuestCard[];
  if (cards.some((card) => card.userId === actor)) {
    return badRequest('one quest card per team member: you have played');
  }
  const role = findPlayer(state, actor)?.role;
  if (!success && role !== undefined && sideOf(role) === 'good') {
    return forbidden('a good player may only play success');
  }
  const questCards = [...cards, { userId: actor, success }];
  return { state: settleQuest({ ...state, questCards }) };
}

/**
 * Resolves the quest once every team member has played: only the number of fails is kept in
 * public. Three failed quests: evil wins; three successful: the Assassin's turn.
 */
export function settleQuest(state: GameState): GameState {
  const proposal = state.proposal as ProposalState;
  const cards = state.questCards as QuestCard[];
  if (cards.length < proposal.team.length) {
    return state;
  }
  const fails = cards.filter((card) => !card.success).length;
  const quest = state.quests[state.questIndex];
  const result: GameQuest['result'] = fails >= (quest.twoFailsNeeded ? 2 : 1) ? 'fail' : 'success';
  const quests = state.quests.map((q, i) => (i === state.questIndex ? { ...q, result, fails } : q));
  const settled = { ...state, quests };
  if (quests.filter((q) => q.result === 'fail').length >= QUESTS_TO_WIN) {
    return { ...settled, phase: 'over', winner: 'evil', reason: 'three-fails' };
  }
  if (quests.filter((q) => q.result === 'success').length >= QUESTS_TO_WIN) {
    return { ...settled, phase: 'assassinating' };
  }
  return { ...settled, phase: 'proposing', questIndex: state.questIndex + 1 };
}

/**
 * The Assassin names a seated player other than one they know to be evil (themselves
 * included): Merlin named, evil wins; anyone else, good wins. Naming Oberon, whom the
 * Assassin cannot tell from good, is allowed and misses: refusing it would reveal Oberon.
 */
export function assassinate(state: GameState, target: string, actor: string): ApplyResult {
  const wrongPhase = requirePhase(state, 'assassinating', 'game:assassinate');
  if (wrongPhase) {
    return wrongPhase;
  }
  if (findPlayer(state, actor)?.role !== 'assassin') {
    return forbidden('only the Assassin names Merlin');
  }
  const named = findPlayer(state, target);
  if (named === undefined) {
    return badRequest('the Assassin names a seated player');
  }
  const knownEvil = sightsFor(state, actor).some((sight) => sight.userId === target);
  if (target === actor || knownEvil) {
    return badRequest('the Assassin names a good player, not one known to be evil');
  }
  const hit = named.role === 'merlin';
  return {
    state: {
      ...state,
      phase: 'over',
      assassinTarget: target,
      winner: hit ? 'evil' : 'good',
      reason: hit ? 'merlin-assassinated' : 'merlin-survived',
    },
  };
}
