import type { GameState } from '../../game/rules/game-state.js';
import {
  GameStore,
  KEEP_DEADLINE,
  type DueTurn,
  type DueTurns,
  type GameWriteOptions,
  type StoredGame,
} from '../game.store.js';
import { MemoryLease } from './memory-lease.js';

interface Entry extends StoredGame {
  expiresAt: number;
}

/**
 * Games in this process. Writes are synchronous after the version check, so the
 * compare-and-set needs no lock. Entries stay in last-write order: the forgotten ones are
 * dropped from the front on every write, so the map never outgrows the live games.
 */
export class MemoryGameStore extends GameStore {
  private readonly games = new Map<string, Entry>();
  private readonly timerLease = new MemoryLease();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  read(roomId: string): Promise<StoredGame | undefined> {
    const entry = this.live(roomId);
    return Promise.resolve(entry && { state: entry.state, deadline: entry.deadline });
  }

  write(
    roomId: string,
    expected: number | undefined,
    next: GameState,
    options: GameWriteOptions,
  ): Promise<boolean> {
    const stored = this.live(roomId);
    if (stored?.state.version !== expected) {
      return Promise.resolve(false);
    }
    const now = this.now();
    this.games.delete(roomId);
    this.games.set(roomId, {
      state: next,
      deadline:
        options.turnMs === KEEP_DEADLINE
          ? stored?.deadline
          : options.turnMs > 0
            ? now + options.turnMs
            : undefined,
      expiresAt: now + options.retentionMs,
    });
    this.dropForgotten(now);
    return Promise.resolve(true);
  }

  due(limit: number): Promise<DueTurns> {
    const now = this.now();
    const turns: DueTurn[] = [];
    for (const [roomId, entry] of this.games) {
      if (turns.length >= limit) {
        break;
      }
      if (entry.deadline !== undefined && entry.deadline <= now && entry.expiresAt > now) {
        turns.push({ roomId, version: entry.state.version });
      }
    }
    return Promise.resolve({ now, turns });
  }

  /** Memory lists only current deadlines: nothing is ever outdated. */
  forget(): Promise<void> {
    return Promise.resolve();
  }

  schedule(): Promise<void> {
    return Promise.resolve();
  }

  acquireTimerLease(holder: string, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.timerLease.acquire(holder, ttlMs, this.now()));
  }

  private live(roomId: string): Entry | undefined {
    const entry = this.games.get(roomId);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }

  private dropForgotten(now: number): void {
    for (const [roomId, entry] of this.games) {
      if (entry.expiresAt > now) {
        return;
      }
      this.games.delete(roomId);
    }
  }
}
