import type { GameState } from '../game/rules/game-state.js';

/** A room's game as stored: the state and, while a phase waits on players, its deadline. */
export interface StoredGame {
  state: GameState;
  /** Epoch ms on the store's clock when the waiting phase times out; absent when none. */
  deadline?: number;
}

/** A turn deadline that has passed: the game's room and the version it was set at. */
export interface DueTurn {
  roomId: string;
  version: number;
}

export interface DueTurns {
  /** The store's clock when it looked (epoch ms). */
  now: number;
  turns: DueTurn[];
}

/** GameWriteOptions.turnMs of a write within the turn that was stored. */
export const KEEP_DEADLINE = -1;

/** What a write needs besides the state: how long its phase may wait, how long it is kept. */
export interface GameWriteOptions {
  /**
   * > 0: a new turn that times out this long after the write (store clock); 0: no deadline;
   * KEEP_DEADLINE: the same turn goes on (a vote of several), its deadline stays.
   */
  turnMs: number;
  /** The game is forgotten this long after its last change. */
  retentionMs: number;
}

/**
 * The game store port. One game per room, replaced whole by compare-and-set on its version,
 * so two processes racing on one game never both write: one wins, the other reads again.
 * The store keeps the deadlines of waiting phases and lists the passed ones to whoever
 * holds the timer lease; the rules and the events live in GameService.
 */
export abstract class GameStore {
  abstract read(roomId: string): Promise<StoredGame | undefined>;

  /**
   * Stores `next` if the room's stored version is still `expected` (undefined: no game is
   * stored). False when another write came first. A write sent again after its reply was
   * lost answers as the first time.
   */
  abstract write(
    roomId: string,
    expected: number | undefined,
    next: GameState,
    options: GameWriteOptions,
  ): Promise<boolean>;

  /** Turns whose deadline has passed (at most `limit`); some may be outdated: re-check them. */
  abstract due(limit: number): Promise<DueTurns>;

  /** Forgets a listed turn that is outdated (the game moved on or has no deadline). */
  abstract forget(turn: DueTurn): Promise<void>;

  /** Lists the game's current turn at its real deadline (it was listed early, or not yet). */
  abstract schedule(turn: DueTurn, deadline: number): Promise<void>;

  /** Takes or renews the timer lease for `holder`; false while someone else holds it. */
  abstract acquireTimerLease(holder: string, ttlMs: number): Promise<boolean>;

  /** Resolves once the store can serve (Redis: its scripts loaded). */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
