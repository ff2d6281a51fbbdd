import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { IntervalTask } from '../common/interval-task.js';
import { AppConfig } from '../config/app-config.js';
import { GameStore, type DueTurn } from '../engine/game.store.js';
import { GameService } from './game.service.js';

/** Passed turns run per tick; the rest wait for the next tick. */
const MAX_TURNS_PER_TICK = 100;
/** Ticks per turn timeout, within these bounds: a deadline runs at most one tick late. */
const TICKS_PER_TURN = 10;
const MIN_TICK_MS = 50;
const MAX_TICK_MS = 1000;

/** How often the timers look for passed deadlines, for a GAME_TURN_TIMEOUT_MS. */
export const timerTickMs = (turnMs: number): number =>
  Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.round(turnMs / TICKS_PER_TURN)));

/**
 * Turn timers (GAME_TURN_TIMEOUT_MS). Deadlines live in the store with the game, so any
 * process can run them: each ticks, and only the holder of the timer lease looks. A
 * timeout is an ordinary compare-and-set write at the version the deadline was set at, so
 * it runs once even if a paused holder wakes up after losing its lease.
 */
@Injectable()
export class GameTimers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GameTimers.name);
  private readonly task = new IntervalTask(
    () => this.tick(),
    (err) => this.logger.warn({ msg: 'turn timers failed', err: err.message }),
  );
  private holder = false;

  constructor(
    private readonly store: GameStore,
    private readonly games: GameService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const turnMs = this.config.get('GAME_TURN_TIMEOUT_MS');
    if (turnMs > 0) {
      this.task.start(timerTickMs(turnMs));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  private async tick(): Promise<void> {
    const tickMs = timerTickMs(this.config.get('GAME_TURN_TIMEOUT_MS'));
    const holder = await this.store.acquireTimerLease(this.config.nodeId, tickMs * 3);
    if (holder !== this.holder) {
      this.holder = holder;
      this.logger.log({ msg: holder ? 'turn timer lease taken' : 'turn timer lease lost' });
    }
    if (!holder) {
      return;
    }
    const { now, turns } = await this.store.due(MAX_TURNS_PER_TICK);
    for (const turn of turns) {
      await this.run(turn, now);
    }
  }

  /** Times the turn out if it is still the game's and due; else lists the game's real one. */
  private async run(turn: DueTurn, now: number): Promise<void> {
    const stored = await this.store.read(turn.roomId);
    if (stored?.deadline === undefined) {
      return this.store.forget(turn);
    }
    const current = { roomId: turn.roomId, version: stored.state.version };
    if (current.version === turn.version && stored.deadline <= now) {
      await this.games.timeOut(turn.roomId, turn.version);
      return;
    }
    await this.store.schedule(current, stored.deadline);
    if (current.version !== turn.version) {
      await this.store.forget(turn);
    }
  }
}
