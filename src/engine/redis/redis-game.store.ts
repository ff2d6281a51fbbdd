import type { RedisClient } from '../../redis/redis-client.js';
import { ScriptRegistry } from '../../redis/script-registry.js';
import type { Deadline } from '../../common/deadline.js';
import { withDeadline } from '../../common/storage-deadline.js';
import type { GameState } from '../../game/rules/game-state.js';
import {
  GameStore,
  type DueTurn,
  type DueTurns,
  type GameWriteOptions,
  type StoredGame,
} from '../game.store.js';
import { DONE_LIFETIME_FACTOR, newRequestId, untilDefinite } from './in-doubt.js';
import {
  gameDeadlinesKey,
  gameKeys,
  gameTimerLeaseKey,
  gameTurnMember,
  parseGameTurnMember,
} from './keys.js';
import { redisTimeMs, scriptReply } from './replies.js';
import { GAME_SCRIPTS } from './scripts.js';

export interface RedisGameOptions {
  prefix: string;
  /** Deadline of one store call; past it the caller gets UNAVAILABLE. */
  commandTimeoutMs: number;
}

/**
 * Games in Redis: one hash per room (its slot), replaced by one script that compares the
 * version. The deadlines zset spans slots, so it is written around the script: listed
 * early before it (never late: ZADD LT), exactly after it, and the timer re-checks every
 * listed turn against the game, so a process killed between the two loses no deadline.
 */
export class RedisGameStore extends GameStore {
  private readonly scripts: ScriptRegistry;
  private readonly doneTtlMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisGameOptions,
  ) {
    super();
    this.scripts = new ScriptRegistry(redis, GAME_SCRIPTS);
    this.doneTtlMs = options.commandTimeoutMs * DONE_LIFETIME_FACTOR;
  }

  override ready(): Promise<void> {
    return this.guard((d) => this.definite(d, () => this.scripts.load()));
  }

  read(roomId: string): Promise<StoredGame | undefined> {
    const { game } = gameKeys(this.options.prefix, roomId);
    return this.guard(async (d) => {
      const [state, deadline] = await this.definite(d, () =>
        this.redis.hmget(game, 'state', 'deadline'),
      );
      if (!state) {
        return undefined;
      }
      return {
        state: JSON.parse(state) as GameState,
        deadline: deadline ? Number(deadline) : undefined,
      };
    });
  }

  write(
    roomId: string,
    expected: number | undefined,
    next: GameState,
    options: GameWriteOptions,
  ): Promise<boolean> {
    const keys = gameKeys(this.options.prefix, roomId);
    const deadlines = gameDeadlinesKey(this.options.prefix);
    const member = gameTurnMember(roomId, next.version);
    return this.guard(async (d) => {
      if (options.turnMs > 0) {
        // a kept deadline is listed already
        const early = Date.now() + options.turnMs;
        await this.definite(d, () => this.redis.zadd(deadlines, 'LT', early, member));
      }
      const args = [
        keys.game,
        keys.done(newRequestId()),
        expected ?? '',
        next.version,
        JSON.stringify(next),
        options.turnMs,
        options.retentionMs,
        this.doneTtlMs,
      ];
      const { status, body } = scriptReply(
        await this.definite(d, () => this.redis.gameWrite(...args)),
      );
      if (status !== 'OK') {
        return false;
      }
      const deadline = String(body[0]);
      await this.definite(d, () =>
        deadline === ''
          ? this.redis.zrem(deadlines, member)
          : this.redis.zadd(deadlines, deadline, member),
      );
      if (expected !== undefined) {
        const outdated = gameTurnMember(roomId, expected);
        await this.definite(d, () => this.redis.zrem(deadlines, outdated));
      }
      return true;
    });
  }

  due(limit: number): Promise<DueTurns> {
    const deadlines = gameDeadlinesKey(this.options.prefix);
    return this.guard(async (d) => {
      const now = redisTimeMs(await this.definite(d, () => this.redis.time()));
      const members = await this.definite(d, () =>
        this.redis.zrangebyscore(deadlines, '-inf', now, 'LIMIT', 0, limit),
      );
      const turns: DueTurn[] = [];
      for (const member of members) {
        const turn = parseGameTurnMember(member);
        if (turn) {
          turns.push(turn);
        } else {
          await this.definite(d, () => this.redis.zrem(deadlines, member));
        }
      }
      return { now, turns };
    });
  }

  forget(turn: DueTurn): Promise<void> {
    const member = gameTurnMember(turn.roomId, turn.version);
    return this.guard(async (d) => {
      await this.definite(d, () => this.redis.zrem(gameDeadlinesKey(this.options.prefix), member));
    });
  }

  schedule(turn: DueTurn, deadline: number): Promise<void> {
    const member = gameTurnMember(turn.roomId, turn.version);
    return this.guard(async (d) => {
      await this.definite(d, () =>
        this.redis.zadd(gameDeadlinesKey(this.options.prefix), deadline, member),
      );
    });
  }

  acquireTimerLease(holder: string, ttlMs: number): Promise<boolean> {
    const lease = gameTimerLeaseKey(this.options.prefix);
    return this.guard(async (d) => {
      const reply = await this.definite(d, () => this.redis.gameTimerLease(lease, holder, ttlMs));
      return scriptReply(reply).status === 'OK';
    });
  }

  private definite<T>(deadline: Deadline, call: () => Promise<T>): Promise<T> {
    return untilDefinite(this.redis, deadline, call);
  }

  private guard<T>(work: (deadline: Deadline) => Promise<T>): Promise<T> {
    return withDeadline(this.options.commandTimeoutMs, work);
  }
}
