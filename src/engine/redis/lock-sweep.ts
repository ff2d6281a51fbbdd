import type { RedisClient } from '../../redis/redis-client.js';
import type { ChannelRef } from '@avalon-realtime/client/protocol';
import type { ChannelLock } from '../metadata.engine.js';
import { untilDefinite, newRequestId } from './in-doubt.js';
import { channelDoneKey, channelKeys, lockExpiryKey, parseLockExpiryMember } from './keys.js';
import { DONE_LIFETIME_MS } from './redis-locks.js';
import { redisTimeMs } from './replies.js';

/** A lock index entry due for a visit: the member, its score as read, what it names. */
interface DueEntry {
  member: string;
  score: string;
  channel: ChannelRef;
  lockName: string;
}

/**
 * The sweep of lapsed locks: the cross-slot expiry index says what to visit, the expire
 * script decides (and removes) atomically per lock, and a replay after a lost reply
 * answers the first outcome, so each lapse is reported exactly once.
 */
export class RedisLockSweep {
  private readonly index: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.index = lockExpiryKey(prefix);
  }

  /**
   * Visits up to `max` index entries whose time has passed; the expire script removes each
   * lock only if it is still lapsed and returns it, so two sweepers never report one twice.
   */
  async sweep(max: number): Promise<ChannelLock[]> {
    const due = await this.dueEntries(max);
    const swept: ChannelLock[] = [];
    const visits = due.map(async (entry) => {
      const reply = await this.expire(entry).catch(() => undefined);
      if (!Array.isArray(reply)) {
        return; // still indexed: visited again by the next sweep
      }
      if (reply[0] === 'LIVE') {
        // Renewed or re-acquired meanwhile: make sure the entry shows the live expiry.
        await this.redis.zadd(this.index, 'GT', Number(reply[1]), entry.member);
        return;
      }
      if (reply[0] === 'EXPIRED') {
        const { channel, lockName } = entry;
        swept.push({
          channel,
          lock: { lockName, owner: String(reply[1]), expiresAt: Number(reply[2]) },
        });
      }
      await this.redis.lockIndexDrop(this.index, entry.member, entry.score);
    });
    // Index upkeep is best effort: the removals happened and must be reported.
    await Promise.allSettled(visits);
    return swept;
  }

  /** One lapsed lock's removal, its outcome definite (reported once even after a lost reply). */
  private expire({ channel, lockName }: DueEntry): Promise<unknown> {
    const locks = channelKeys(this.prefix, channel).locks;
    const done = channelDoneKey(this.prefix, channel, newRequestId());
    // Outside any request's deadline: the first failure is final, the lock swept next time.
    return untilDefinite(this.redis, undefined, () =>
      this.redis.lockExpire(locks, done, lockName, DONE_LIFETIME_MS),
    );
  }

  /** Index entries whose expiry has passed on the Redis clock; unreadable ones are dropped. */
  private async dueEntries(max: number): Promise<DueEntry[]> {
    const now = redisTimeMs(await this.redis.time());
    const flat = await this.redis.zrangebyscore(
      this.index,
      '-inf',
      now,
      'WITHSCORES',
      'LIMIT',
      0,
      max,
    );
    const due: DueEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [member, score] = [flat[i], flat[i + 1]];
      const lock = parseLockExpiryMember(member);
      if (lock) {
        due.push({ member, score, ...lock });
      } else {
        await this.redis.lockIndexDrop(this.index, member, score);
      }
    }
    return due;
  }
}
