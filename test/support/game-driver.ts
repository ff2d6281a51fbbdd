import type { RoleOptions } from '@avalon-realtime/client/protocol';
import type { GameAction } from '../../src/game/rules/game-action.js';
import { shuffled } from '../../src/game/rules/game-random.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import { sightsFor } from '../../src/game/rules/knowledge.js';
import { sideOfRole, type seededRandom } from './game-rules.js';

/**
 * The random-play test's player: picks the next request for a game, legal (what a player who
 * follows the rules might do now) or random (any request, by anyone, with random payloads).
 */

export type Chooser = ReturnType<typeof seededRandom>;

export const pick = <T>(rng: Chooser, items: readonly T[]): T => items[rng.int(items.length)];

export function optionsFor(rng: Chooser): RoleOptions {
  return {
    percival: rng.next() < 0.5,
    morgana: rng.next() < 0.5,
    mordred: rng.next() < 0.4,
    oberon: rng.next() < 0.3,
  };
}

/** A request that the rules allow now (if any), chosen at random. */
function legalAction(
  state: GameState,
  pool: string[],
  wanted: number,
  rng: Chooser,
): [GameAction, string] {
  const seated = state.players.map((p) => p.userId);
  switch (state.phase) {
    case 'lobby': {
      const standing = pool.filter((id) => !seated.includes(id));
      if (seated.length < wanted && standing.length > 0) {
        const seat = rng.next() < 0.5 ? undefined : rng.int(10);
        return [{ type: 'sit', seat }, pick(rng, standing)];
      }
      return rng.next() < 0.05
        ? [{ type: 'stand' }, pick(rng, seated)]
        : [{ type: 'start' }, state.host];
    }
    case 'proposing': {
      const size = state.quests[state.questIndex].size;
      const team = shuffled(rng, seated).slice(0, size);
      return [{ type: 'propose', team }, state.leader as string];
    }
    case 'voting': {
      const voted = state.proposal?.votes.map((v) => v.userId) ?? [];
      return [
        { type: 'vote', approve: rng.next() < 0.65 },
        pick(
          rng,
          seated.filter((id) => !voted.includes(id)),
        ),
      ];
    }
    case 'questing':
      return questCard(state, rng);
    case 'assassinating': {
      const assassin = state.players.find((p) => p.role === 'assassin')?.userId as string;
      const known = new Set([assassin, ...sightsFor(state, assassin).map((s) => s.userId)]);
      return [
        {
          type: 'assassinate',
          target: pick(
            rng,
            seated.filter((id) => !known.has(id)),
          ),
        },
        assassin,
      ];
    }
    case 'over':
      return [{ type: 'create', roomId: 'room' }, pick(rng, pool)];
  }
}

function questCard(state: GameState, rng: Chooser): [GameAction, string] {
  const played = state.questCards?.map((c) => c.userId) ?? [];
  const member = pick(
    rng,
    (state.proposal?.team ?? []).filter((id) => !played.includes(id)),
  );
  const role = state.players.find((p) => p.userId === member)?.role ?? 'servant';
  return [{ type: 'quest', success: sideOfRole(role) === 'good' || rng.next() < 0.5 }, member];
}

/** Any request by anyone, payloads drawn at random: mostly illegal. */
function randomAction(state: GameState, pool: string[], rng: Chooser): [GameAction, string] {
  const someone = () => pick(rng, [...pool, 'watcher']);
  const team = Array.from({ length: rng.int(7) }, someone);
  const actions: GameAction[] = [
    { type: 'create', roomId: 'room' },
    { type: 'sit', seat: pick(rng, [undefined, -1, 0, 3, 9, 10, 2.5]) },
    { type: 'stand' },
    { type: 'start' },
    { type: 'propose', team },
    { type: 'vote', approve: rng.next() < 0.5 },
    { type: 'quest', success: rng.next() < 0.5 },
    { type: 'assassinate', target: someone() },
    { type: 'end' },
    { type: 'timeout', version: state.version - 1 - rng.int(3) },
  ];
  const action = pick(rng, actions);
  if (action.type === 'end') {
    // The host abandons now and then, not often: most games should end by the rules.
    const others = [...pool, 'watcher'].filter((id) => id !== state.host);
    return [action, rng.next() < 0.02 ? state.host : pick(rng, others)];
  }
  return [action, rng.next() < 0.5 ? state.host : someone()];
}

export function nextAction(
  state: GameState,
  pool: string[],
  wanted: number,
  rng: Chooser,
): [GameAction, string] {
  const roll = rng.next();
  if (roll < 0.03 && state.phase !== 'lobby') {
    return [{ type: 'timeout', version: state.version }, 'timer'];
  }
  return roll < 0.65 ? legalAction(state, pool, wanted, rng) : randomAction(state, pool, rng);
}
