import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GameView } from '@avalon-realtime/client/protocol';
import { AppError } from '../../src/common/errors/app-error.js';
import { AppConfig } from '../../src/config/app-config.js';
import type { Env } from '../../src/config/env.schema.js';
import { MemoryGameStore } from '../../src/engine/memory/memory-game.store.js';
import { MemoryPresenceEngine } from '../../src/engine/memory/memory-presence.engine.js';
import type { GameUpdates } from '../../src/game/game-updates.js';
import { GameService } from '../../src/game/game.service.js';
import type { GameState } from '../../src/game/rules/game-state.js';
import { viewFor } from '../../src/game/rules/views.js';
import { nextAction, optionsFor, pick } from '../support/game-driver.js';
import { check, checkChange, checkState } from '../support/game-invariants.js';
import { seededRandom } from '../support/game-rules.js';
import { checkViews } from '../support/game-view-invariants.js';

const GAMES = 3000;
const CHUNKS = 6;
const MAX_STEPS = 600;
const ROOM = 'room';
/** A user who never joined the room: every request of theirs is NOT_JOINED. */
const OUTSIDER = 'outsider';

/**
 * The whole request path below the socket, on the memory engine: presence check, rules,
 * store (compare-and-set, deadlines) and announcements. Each step checks that a refused
 * request stored and announced nothing, and that an accepted one stored exactly one change,
 * announced it once and answered the caller's own view of it.
 */
async function playOne(seed: number, tally: Record<string, number>): Promise<void> {
  const rng = seededRandom(seed * 7919 + 1);
  const wanted = 5 + rng.int(6);
  const pool = Array.from({ length: wanted + 2 }, (_, i) => `u${i}`);
  const presence = new MemoryPresenceEngine();
  for (const userId of pool) {
    await presence.join({
      roomId: ROOM,
      connId: `${userId}-c`,
      userId,
      node: 'n',
      ttlMs: 3_600_000,
      maxMembers: 20,
      maxConnsPerUser: 1,
    });
  }
  const store = new MemoryGameStore();
  const announced: GameState[] = [];
  const updates = {
    announce: (state: GameState) => announced.push(state),
  } as unknown as GameUpdates;
  const config = new AppConfig(
    new ConfigService<Env, true>({ GAME_TURN_TIMEOUT_MS: 60_000, GAME_RETENTION_MS: 3_600_000 }),
  );
  const service = new GameService(store, presence, updates, config, seededRandom(seed));
  const creator = pool[0];
  await service.act(ROOM, creator, { type: 'create', roomId: ROOM, roles: optionsFor(rng) });
  let state = announced[0];
  for (let step = 0; step < MAX_STEPS && state.phase !== 'over'; step++) {
    state = await playStep(service, store, announced, state, pool, wanted, rng, tally);
  }
  const ending = state.reason ?? `unfinished ${state.phase}`;
  tally[ending] = (tally[ending] ?? 0) + 1;
}

async function playStep(
  service: GameService,
  store: MemoryGameStore,
  announced: GameState[],
  state: GameState,
  pool: string[],
  wanted: number,
  rng: ReturnType<typeof seededRandom>,
  tally: Record<string, number>,
): Promise<GameState> {
  const [action, chosen] = nextAction(state, pool, wanted, rng);
  const actor = action.type !== 'timeout' && rng.next() < 0.02 ? OUTSIDER : chosen;
  const before = announced.length;
  let answer: GameView | boolean | AppError;
  try {
    answer =
      action.type === 'timeout'
        ? await service.timeOut(ROOM, action.version)
        : await service.act(ROOM, actor, action);
  } catch (err) {
    if (!(err instanceof AppError)) {
      throw err;
    }
    answer = err;
  }
  const stored = (await store.read(ROOM))?.state as GameState;
  if (answer instanceof AppError || answer === false) {
    tally.refused = (tally.refused ?? 0) + 1;
    check(actor !== OUTSIDER || (answer as AppError).code === 'NOT_JOINED', 'outsider: NOT_JOINED');
    check(
      stored === state && announced.length === before,
      'a refusal stores and announces nothing',
    );
    const misfit = action.type === 'start' && actor === state.host && state.players.length >= 5;
    if (misfit && state.phase === 'lobby') {
      await service.act(ROOM, actor, { type: 'end' }); // a role set that does not fit: give up
      return (await store.read(ROOM))?.state as GameState;
    }
    return state;
  }
  if (stored === state) {
    check(announced.length === before, 'no change, no announcement');
    return state;
  }
  check(announced.length === before + 1 && announced[before] === stored, 'announced once');
  checkChange(state, stored, false);
  checkState(stored);
  if (answer !== true) {
    check(JSON.stringify(answer) === JSON.stringify(viewFor(stored, actor)), 'own view answered');
  }
  const seated = stored.players.map((p) => p.userId);
  checkViews(stored, [...seated, pick(rng, pool)], rng.int(seated.length + 1));
  return stored;
}

describe(`random play through GameService on the memory engine: ${GAMES} games`, () => {
  const chunk = GAMES / CHUNKS;
  // A timed-out turn is logged; thousands of them would bury the results.
  beforeAll(() => {
    Logger.overrideLogger(['warn', 'error']);
  });
  it.each(Array.from({ length: CHUNKS }, (_, i) => [i * chunk + 1, (i + 1) * chunk]))(
    'games %i–%i: every step keeps every invariant, refusals change nothing',
    async (first, last) => {
      const tally: Record<string, number> = {};
      for (let seed = first; seed <= last; seed++) {
        try {
          await playOne(seed, tally);
        } catch (error) {
          throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
        }
      }
      for (const reason of [
        'five-rejections',
        'three-fails',
        'merlin-assassinated',
        'merlin-survived',
      ]) {
        expect(`${reason}: ${(tally[reason] ?? 0) > 0}`).toBe(`${reason}: true`);
      }
      expect(tally.refused).toBeGreaterThan(chunk);
    },
  );
});
