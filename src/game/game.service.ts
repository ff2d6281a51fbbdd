import { Inject, Injectable, Logger } from '@nestjs/common';
import { ErrorCode, type GameView } from '@avalon-realtime/client/protocol';
import { AppError } from '../common/errors/app-error.js';
import { AppConfig } from '../config/app-config.js';
import { GameStore, KEEP_DEADLINE } from '../engine/game.store.js';
import { PresenceEngine } from '../engine/presence.engine.js';
import { GameUpdates } from './game-updates.js';
import { apply } from './rules/apply.js';
import type { GameAction } from './rules/game-action.js';
import { GAME_RANDOM, type GameRandom } from './rules/game-random.js';
import type { GameState } from './rules/game-state.js';
import { viewFor } from './rules/views.js';

/** Reads and writes of one action before giving up on a game other writers keep changing. */
const MAX_ATTEMPTS = 20;

/** Phases that wait on players, and so have a turn timer. */
const TIMED_PHASES: ReadonlySet<GameState['phase']> = new Set([
  'proposing',
  'voting',
  'questing',
  'assassinating',
]);

/**
 * The game's request path: the caller must be present in the room; the rules decide
 * (`apply`), the store keeps the result by compare-and-set on the version (a lost race
 * reads and applies again), and every change is announced once, as per-socket views.
 */
@Injectable()
export class GameService {
  private readonly logger = new Logger(GameService.name);

  constructor(
    private readonly store: GameStore,
    private readonly presence: PresenceEngine,
    private readonly updates: GameUpdates,
    private readonly config: AppConfig,
    @Inject(GAME_RANDOM) private readonly random: GameRandom,
  ) {}

  /** `action` by `userId`, who must be present in the room; the caller's view after it. */
  async act(roomId: string, userId: string, action: GameAction): Promise<GameView> {
    await this.requirePresent(roomId, userId);
    return viewFor(await this.change(roomId, userId, action), userId);
  }

  async view(roomId: string, userId: string): Promise<GameView> {
    await this.requirePresent(roomId, userId);
    const stored = await this.store.read(roomId);
    if (!stored) {
      throw new AppError(ErrorCode.NOT_FOUND, 'no game in this room');
    }
    return viewFor(stored.state, userId);
  }

  /**
   * The turn timer's default action for the turn waiting at `version`. False when the game
   * moved on first (another process's timer, or a player's last move).
   */
  async timeOut(roomId: string, version: number): Promise<boolean> {
    try {
      const state = await this.change(roomId, 'timer', { type: 'timeout', version });
      this.logger.log({ msg: 'turn timed out', roomId, version, phase: state.phase });
      return true;
    } catch (err) {
      if (err instanceof AppError && err.code !== ErrorCode.UNAVAILABLE) {
        return false;
      }
      throw err;
    }
  }

  private async change(roomId: string, actor: string, action: GameAction): Promise<GameState> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.store.read(roomId);
      const result = apply(stored?.state, action, actor, this.random);
      if ('error' in result) {
        throw new AppError(ErrorCode[result.error.code], result.error.message);
      }
      const next = result.state;
      if (next === stored?.state) {
        return next; // nothing changed: nothing to store or announce
      }
      const written = await this.store.write(roomId, stored?.state.version, next, {
        turnMs: this.turnMs(stored?.state, next),
        retentionMs: this.config.get('GAME_RETENTION_MS'),
      });
      if (written) {
        this.updates.announce(next);
        return next;
      }
    }
    throw new AppError(ErrorCode.BUSY, 'the game kept changing under this request; try again');
  }

  /** A new deadline when a new turn begins, the old one while the same turn goes on. */
  private turnMs(before: GameState | undefined, next: GameState): number {
    const timeoutMs = this.config.get('GAME_TURN_TIMEOUT_MS');
    if (timeoutMs === 0 || !TIMED_PHASES.has(next.phase)) {
      return 0;
    }
    return before && turnOf(before) === turnOf(next) ? KEEP_DEADLINE : timeoutMs;
  }

  private async requirePresent(roomId: string, userId: string): Promise<void> {
    if (!(await this.presence.isPresent(roomId, userId))) {
      throw new AppError(ErrorCode.NOT_JOINED, 'join the room before playing in it');
    }
  }
}

/** What one turn waits on: votes on one proposal, cards of one quest, one leader's pick. */
const turnOf = (state: GameState): string =>
  JSON.stringify([state.gameId, state.phase, state.questIndex, state.rejections, state.leader]);
