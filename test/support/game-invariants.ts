import type { GamePhase } from '@avalon-realtime/client/protocol';
import type { GameState } from '../../src/game/rules/game-state.js';
import { sideOfRole } from './game-rules.js';
import { SIDES, TEAM_SIZES } from './game-tables.js';

/**
 * Invariants of the rules engine, checked after every step of the random-play test. Each
 * throws an Error naming the broken invariant.
 */

export function check(condition: boolean, invariant: string): void {
  if (!condition) {
    throw new Error(`invariant broken: ${invariant}`);
  }
}

/** The phase graph: every change goes along one of these edges (`over` is reached from all). */
const EDGES: Readonly<Record<GamePhase, readonly GamePhase[]>> = {
  lobby: ['lobby', 'proposing', 'over'],
  proposing: ['voting', 'proposing', 'over'],
  voting: ['voting', 'questing', 'proposing', 'over'],
  questing: ['questing', 'proposing', 'assassinating', 'over'],
  assassinating: ['over'],
  over: ['lobby'],
};

const distinct = (ids: string[]) => new Set(ids).size === ids.length;

export function checkState(state: GameState): void {
  const ids = state.players.map((p) => p.userId);
  const seats = state.players.map((p) => p.seat);
  check(distinct(ids), 'a player holds one seat');
  check(
    seats.every((s, i) => Number.isInteger(s) && s >= 0 && s <= 9 && (i === 0 || s > seats[i - 1])),
    'seats 0–9, distinct, in order',
  );
  const dealt = state.players.some((p) => p.role !== undefined);
  if (state.phase === 'lobby' || !dealt) {
    check(
      state.phase === 'lobby' || state.reason === 'abandoned',
      'roles are dealt when the game runs',
    );
    check(
      !dealt && state.leader === null && state.quests.length === 0,
      'a lobby has no roles, leader or quests',
    );
    check(state.proposal === undefined && state.rejections === 0, 'a lobby has no proposal');
    return;
  }
  checkDeal(state);
  checkQuests(state);
  checkTurn(state);
  checkOutcome(state);
}

function checkDeal(state: GameState): void {
  const count = state.players.length;
  const roles = state.players.map((p) => p.role);
  check(count >= 5 && count <= 10, '5–10 players');
  check(
    roles.every((r) => r !== undefined),
    'every seated player has a role',
  );
  const evil = roles.filter((r) => r !== undefined && sideOfRole(r) === 'evil').length;
  check(evil === SIDES[count][1], 'evil count per player count');
  check(roles.filter((r) => r === 'merlin').length === 1, 'one Merlin');
  check(roles.filter((r) => r === 'assassin').length === 1, 'one Assassin');
  for (const role of ['percival', 'morgana', 'mordred', 'oberon'] as const) {
    check(roles.includes(role) === state.options[role], `${role} dealt iff chosen`);
  }
  check(
    state.leader !== null && state.players.some((p) => p.userId === state.leader),
    'the leader is seated',
  );
}

function checkQuests(state: GameState): void {
  const sizes = TEAM_SIZES[state.players.length];
  check(state.quests.length === 5, 'five quests');
  state.quests.forEach((quest, i) => {
    check(quest.size === sizes[i], 'quest sizes per player count');
    check(
      quest.twoFailsNeeded === (i === 3 && state.players.length >= 7),
      'two-fail rule on quest 4 with 7+',
    );
    const played = quest.result !== undefined;
    check(played === (quest.fails !== undefined), 'a played quest shows its fails');
    check(
      i < state.questIndex ? played : i > state.questIndex ? !played : true,
      'quests are played in order',
    );
    if (quest.fails !== undefined) {
      const failed = quest.fails >= (quest.twoFailsNeeded ? 2 : 1);
      check(
        quest.fails <= quest.size && quest.result === (failed ? 'fail' : 'success'),
        'result follows the fails',
      );
    }
  });
  const fails = state.quests.filter((q) => q.result === 'fail').length;
  const wins = state.quests.filter((q) => q.result === 'success').length;
  check(
    fails <= 3 &&
      wins <= 3 &&
      (fails < 3 || state.reason === 'three-fails' || state.reason === 'abandoned'),
    'three fails end the game',
  );
  check(
    wins < 3 || state.phase === 'assassinating' || state.phase === 'over',
    'three wins call the Assassin',
  );
}

function checkTurn(state: GameState): void {
  const { proposal, phase } = state;
  check(
    state.rejections <= 4 || state.reason === 'five-rejections',
    'at most four rejections in a running game',
  );
  if (phase !== 'voting' && phase !== 'questing') {
    return;
  }
  check(proposal !== undefined, 'a proposal to vote on or play');
  const team = proposal?.team ?? [];
  const seated = new Set(state.players.map((p) => p.userId));
  check(team.length === state.quests[state.questIndex].size, 'team of the quest size');
  check(distinct(team) && team.every((id) => seated.has(id)), 'team of distinct seated players');
  const votes = proposal?.votes ?? [];
  check(
    distinct(votes.map((v) => v.userId)) && votes.every((v) => seated.has(v.userId)),
    'one vote per seated player',
  );
  if (phase === 'voting') {
    check(votes.length < seated.size, 'voting ends with the last vote');
    return;
  }
  check(votes.filter((v) => v.approve).length * 2 > seated.size, 'a team on a quest was approved');
  const cards = state.questCards ?? [];
  check(
    cards.length < team.length && cards.every((c) => team.includes(c.userId)),
    'cards from team members',
  );
  check(distinct(cards.map((c) => c.userId)), 'one card per member');
  const roleOf = (id: string) => state.players.find((p) => p.userId === id)?.role ?? 'servant';
  check(
    cards.every((c) => c.success || sideOfRole(roleOf(c.userId)) === 'evil'),
    'good players only succeed',
  );
}

function checkOutcome(state: GameState): void {
  if (state.phase !== 'over') {
    check(state.winner === undefined && state.reason === undefined, 'no winner while running');
    return;
  }
  const winners = {
    'five-rejections': 'evil',
    'three-fails': 'evil',
    'merlin-assassinated': 'evil',
    'merlin-survived': 'good',
    abandoned: undefined,
  };
  check(
    state.reason !== undefined && state.winner === winners[state.reason],
    'exactly one winner, matching the reason',
  );
  if (state.reason === 'merlin-assassinated' && state.assassinTarget !== undefined) {
    const target = state.players.find((p) => p.userId === state.assassinTarget);
    check(target?.role === 'merlin', 'Merlin named');
  }
}

/** A change: version + 1, along an edge of the phase graph, the deal and results kept. */
export function checkChange(
  before: GameState | undefined,
  after: GameState,
  created: boolean,
): void {
  check(after.version === (before?.version ?? 0) + 1, 'version rises by one with every change');
  if (before === undefined || created) {
    check(after.phase === 'lobby' && after.players.length === 0, 'a new game is an empty lobby');
    return;
  }
  check(EDGES[before.phase].includes(after.phase), `phase edge ${before.phase} → ${after.phase}`);
  check(after.gameId === before.gameId && after.host === before.host, 'same game, same host');
  if (before.phase !== 'lobby') {
    check(
      JSON.stringify(after.players) === JSON.stringify(before.players),
      'seats and roles fixed after start',
    );
    check(
      before.quests.every((q, i) => q.result === undefined || after.quests[i].result === q.result),
      'results final',
    );
    checkLeader(before, after);
  }
}

/**
 * The leadership passes clockwise (next higher seat, wrapping) after every vote and when a
 * leader lets the deadline pass; at no other time.
 */
function checkLeader(before: GameState, after: GameState): void {
  const index = before.players.findIndex((p) => p.userId === before.leader);
  const clockwise = before.players[(index + 1) % before.players.length].userId;
  const voted =
    before.phase === 'voting' && after.phase !== 'voting' && after.reason !== 'abandoned';
  const passed = before.phase === 'proposing' && after.phase === 'proposing';
  check(
    after.leader === (voted || passed ? clockwise : before.leader),
    'leadership passes clockwise',
  );
}
