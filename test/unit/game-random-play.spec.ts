import { apply } from '../../src/game/rules/apply.js';
import type { GameAction } from '../../src/game/rules/game-action.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import { nextAction, optionsFor, pick, type Chooser } from '../support/game-driver.js';
import { checkChange, checkState } from '../support/game-invariants.js';
import { deepFreeze, seededRandom } from '../support/game-rules.js';
import { checkViews } from '../support/game-view-invariants.js';

const GAMES = 2000;
/** Separate tests, so none comes near jest's timeout on a loaded machine. */
const CHUNKS = 4;
const MAX_STEPS = 600;
/** Valid resource ids that are also Object.prototype's names: no per-player object may trip. */
const TRICKY_IDS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

interface Tally {
  games: number;
  steps: number;
  refused: number;
  reasons: Record<string, number>;
}

/** One game from create to over (or MAX_STEPS), then a new game in the same room. */
function playOne(seed: number, tally: Tally): void {
  const rng = seededRandom(seed * 7919 + 1);
  const random = seededRandom(seed);
  const wanted = 5 + rng.int(6);
  const pool = Array.from({ length: wanted + 2 }, (_, i) =>
    i < TRICKY_IDS.length && rng.next() < 0.2 ? TRICKY_IDS[i] : `u${i}`,
  );
  const roles = optionsFor(rng);
  let state = deepFreeze(
    run(undefined, { type: 'create', roomId: 'room', roles }, pool[0], random),
  );
  for (let step = 0; step < MAX_STEPS && state.phase !== 'over'; step++) {
    state = playStep(state, pool, wanted, { rng, random }, tally);
  }
  tally.games++;
  const reason = state.reason ?? `unfinished ${state.phase}`;
  tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
  if (state.phase === 'over') {
    checkChange(
      state,
      run(state, { type: 'create', roomId: 'room' }, pick(rng, pool), random),
      true,
    );
  }
}

/** One request, then every invariant; a refused request must leave the (frozen) state as it was. */
function playStep(
  state: GameState,
  pool: string[],
  wanted: number,
  { rng, random }: { rng: Chooser; random: Chooser },
  tally: Tally,
): GameState {
  const [action, actor] = nextAction(state, pool, wanted, rng);
  const result = apply(state, action, actor, random);
  tally.steps++;
  if ('error' in result) {
    tally.refused++;
    const count = state.players.length;
    const misfit = action.type === 'start' && actor === state.host && count >= 5;
    // A role set that does not fit this table: the host gives up on this game.
    return misfit && state.phase === 'lobby'
      ? deepFreeze(run(state, { type: 'end' }, actor, random))
      : state;
  }
  if (result.state === state) {
    return state;
  }
  checkChange(state, result.state, false);
  checkState(result.state);
  const viewers = viewersOf(result.state, pool);
  checkViews(result.state, viewers, rng.int(viewers.length));
  return deepFreeze(result.state);
}

/**
 * Every seated player, the host, and one user of the pool who is not seated (checkViews adds a
 * spectator from outside the room): a view depends on the viewer only through their seat.
 */
function viewersOf(state: GameState, pool: string[]): string[] {
  const seated = state.players.map((p) => p.userId);
  const standing = pool.filter((id) => !seated.includes(id) && id !== state.host).slice(0, 1);
  return [...seated, ...(seated.includes(state.host) ? [] : [state.host]), ...standing];
}

function run(
  state: GameState | undefined,
  action: GameAction,
  actor: string,
  random: Chooser,
): GameState {
  const result = apply(state, action, actor, random);
  if ('error' in result) {
    throw new Error(result.error.message);
  }
  return result.state;
}

/** Seeds first…last, one game each; a failure names the seed that replays it. */
function playSeeds(first: number, last: number): Tally {
  const tally: Tally = { games: 0, steps: 0, refused: 0, reasons: {} };
  for (let seed = first; seed <= last; seed++) {
    try {
      playOne(seed, tally);
    } catch (error) {
      throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
    }
  }
  return tally;
}

const ENDINGS = ['five-rejections', 'three-fails', 'merlin-assassinated', 'merlin-survived'];

describe(`random play: ${GAMES} seeded games of legal and illegal requests`, () => {
  const chunk = GAMES / CHUNKS;
  it.each(Array.from({ length: CHUNKS }, (_, i) => [i * chunk + 1, (i + 1) * chunk]))(
    'games %i–%i keep every invariant after every step, and end every way',
    (first, last) => {
      const tally = playSeeds(first, last);
      expect(tally.games).toBe(chunk);
      for (const reason of ENDINGS) {
        expect(`${reason}: ${tally.reasons[reason] > chunk / 50}`).toBe(`${reason}: true`);
      }
      // Most games end by the rules; a fifth or more of the requests are refused.
      expect(ENDINGS.reduce((sum, reason) => sum + tally.reasons[reason], 0)).toBeGreaterThan(
        chunk / 2,
      );
      expect(tally.refused).toBeGreaterThan(tally.steps / 5);
    },
  );
});
