import type { GameMe, GameView } from '@avalon-realtime/client/protocol';
import type { GameState } from '../../src/game/rules/game-state.js';
import { viewFor } from '../../src/game/rules/views.js';
import { check } from './game-invariants.js';
import { sideOfRole } from './game-rules.js';
import { expectedSights } from './game-tables.js';

const VIEW_KEYS: ReadonlySet<string> = new Set([
  'roomId',
  'gameId',
  'version',
  'phase',
  'host',
  'players',
  'leader',
  'questIndex',
  'rejections',
  'quests',
  'proposal',
  'questPlayed',
  'me',
  'winner',
  'reason',
  'roles',
]);

const keysWithin = (value: object, allowed: readonly string[]) =>
  Object.keys(value).every((key) => allowed.includes(key));

const sameIds = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  a === b ||
  (a !== undefined && b !== undefined && a.length === b.length && a.every((id, i) => id === b[i]));

/** Who has played a card on the current (or last) quest, in team order. */
function playedInTeamOrder(state: GameState): string[] | undefined {
  const played = state.questCards?.map((c) => c.userId);
  return played && state.proposal?.team.filter((id) => played.includes(id));
}

/**
 * Every viewer's view follows the state and leaks nothing: GAME.md's keys only, votes only once
 * all are cast, roles only when over, who played a card but not what, and a `me` that holds the
 * viewer's own role and the sights the matrix grants. A spectator's view is checked field by
 * field; `viewers[sampled]` (a different one each step) is compared whole with it: the public part is
 * the same for everyone.
 */
export function checkViews(state: GameState, viewers: readonly string[], sampled: number): void {
  const spectator = viewFor(state, '(spectator)');
  check(spectator.me === undefined, 'no `me` for a spectator');
  checkPublicView(state, spectator);
  viewers.forEach((viewer, i) => {
    const view = viewFor(state, viewer);
    checkSecrets(state, view);
    checkMe(state, viewer, view.me);
    if (i === sampled) {
      const rest: Partial<GameView> = { ...view };
      delete rest.me;
      check(
        JSON.stringify(rest) === JSON.stringify(spectator),
        'the public part is the same for all',
      );
    }
  });
}

/** The fields that could carry a secret, checked in every viewer's view. */
function checkSecrets(state: GameState, view: GameView): void {
  check(
    Object.keys(view).every((key) => VIEW_KEYS.has(key)),
    'view keys per GAME.md',
  );
  const dealt = state.players.some((p) => p.role !== undefined);
  check((view.roles !== undefined) === (state.phase === 'over' && dealt), 'roles only when over');
  const allIn = state.proposal?.votes.length === state.players.length;
  check((view.proposal?.votes !== undefined) === allIn, 'votes only once all are cast');
  check(sameIds(view.questPlayed, playedInTeamOrder(state)), 'questPlayed: who, not what');
}

function checkMe(state: GameState, viewer: string, me: GameMe | undefined): void {
  const role = state.players.find((p) => p.userId === viewer)?.role;
  check((me !== undefined) === (role !== undefined), '`me` only for seated players once dealt');
  if (me === undefined || role === undefined) {
    return;
  }
  check(keysWithin(me, ['role', 'side', 'sees']), '`me` keys');
  check(me.role === role && me.side === sideOfRole(role), '`me` is the own role and side');
  const sights = expectedSights(state, viewer);
  check(me.sees.length === sights.length, 'sights per the matrix');
  me.sees.forEach((sight, i) => {
    check(keysWithin(sight, ['userId', 'as']), 'a sight names a player and how they look');
    check(sight.userId === sights[i].userId && sight.as === sights[i].as, 'sights per the matrix');
  });
}

function checkPublicView(state: GameState, view: GameView): void {
  check(
    Object.keys(view).every((key) => VIEW_KEYS.has(key)),
    'view keys per GAME.md',
  );
  check(view.version === state.version && view.phase === state.phase, 'view follows state');
  check(view.leader === state.leader && view.rejections === state.rejections, 'leader, rejections');
  check(view.players.length === state.players.length, 'every seated player listed');
  view.players.forEach((p, i) => {
    check(keysWithin(p, ['userId', 'seat']), 'players show seats only');
    check(p.userId === state.players[i].userId && p.seat === state.players[i].seat, 'seats');
  });
  check(view.quests.length === state.quests.length, 'quests listed');
  view.quests.forEach((q, i) => {
    check(keysWithin(q, ['size', 'twoFailsNeeded', 'result', 'fails']), 'quest keys');
    check(
      q.result === state.quests[i].result && q.fails === state.quests[i].fails,
      'quest results',
    );
  });
  check(view.winner === state.winner && view.reason === state.reason, 'outcome');
  checkProposalView(state, view);
}

function checkProposalView(state: GameState, view: GameView): void {
  const proposal = state.proposal;
  check((view.proposal === undefined) === (proposal === undefined), 'the proposal is public');
  if (view.proposal === undefined || proposal === undefined) {
    return;
  }
  check(keysWithin(view.proposal, ['leader', 'team', 'votesCast', 'votes']), 'proposal keys');
  check(sameIds(view.proposal.team, proposal.team), 'the team is public');
  const cast = new Set(proposal.votes.map((v) => v.userId));
  const votesCast = view.proposal.votesCast;
  check(
    votesCast.length === cast.size && votesCast.every((id) => cast.has(id)),
    'votesCast: who voted',
  );
  const votes = view.proposal.votes;
  if (votes !== undefined) {
    check(
      proposal.votes.every((v) => Object.hasOwn(votes, v.userId) && votes[v.userId] === v.approve),
      'votes revealed as cast',
    );
    check(Object.keys(votes).length === cast.size, 'no other votes');
  }
}
