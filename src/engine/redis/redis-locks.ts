import type { Redis } from 'ioredis';
import type { ChannelRef, LockSummary } from '../../common/protocol/index.js';
import type { AcquireOutcome, ChannelLock } from '../metadata.engine.js';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '../../common/protocol/index.js';
import { newRequestId, untilDefinite } from './in-doubt.js';
import {
  channelDoneKey,
  channelKeys,
  lockExpiryKey,
  lockExpiryMember,
  parseLockExpiryMember,
} from './keys.js';
import { lockAccepted } from './scripts.js';

/**
 * How long a lock script keeps the reply of a request that changed something: far longer
 * than a replay can come (in-doubt.ts), short enough to cost little memory.
 */
export const DONE_LIFETIME_MS = 60_000;

/** A lock index entry due for a visit: the member, its score as read, what it names. */
interface DueEntry {
  member: string;
  score: string;
  channel: ChannelRef;
  lockName: string;
}

/**
 * Lease locks: one Lua script per operation on the channel's `locks` hash and `fence`
 * counter (one slot), then the cross-slot expiry index, written after the script and
 * idempotently. The index only decides what the sweep visits; whether a lock lapsed is
 * decided by the script that removes it, so each lapse is reported exactly once.
 */
export class RedisLocks {
  private readonly index: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.index = lockExpiryKey(prefix);
  }

  async acquire(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
    maxLocks: number,
  ): Promise<AcquireOutcome> {
    const { locks, fence } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const reply = await untilDefinite(this.redis, () =>
      this.redis.lockAcquire(
        locks,
        fence,
        done,
        lockName,
        owner,
        ttlMs,
        maxLocks,
        DONE_LIFETIME_MS,
      ),
    );
    if (Array.isArray(reply) && reply[0] === 'PAYLOAD_TOO_LARGE') {
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `a channel holds at most ${maxLocks} locks`);
    }
    const accepted = lockAccepted(reply, lockName);
    const [, token, expiresAt, acquired] = accepted.map(Number);
    // Not best effort: without its entry the lapse would never be announced; the caller's
    // retry (UNAVAILABLE) re-acquires as holder and indexes again.
    await this.redis.zadd(this.index, expiresAt, lockExpiryMember(channel, lockName));
    const lapsed: LockSummary | undefined =
      accepted[4] === ''
        ? undefined
        : { lockName, owner: String(accepted[4]), expiresAt: Number(accepted[5]) };
    return {
      grant: { lockName, owner, token, expiresAt },
      acquired: acquired === 1,
      ...(lapsed ? { expired: lapsed } : {}),
    };
  }

  async renew(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
  ): Promise<{ expiresAt: number }> {
    const { locks } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const reply = await untilDefinite(this.redis, () =>
      this.redis.lockRenew(locks, done, lockName, owner, ttlMs, DONE_LIFETIME_MS),
    );
    const expiresAt = Number(lockAccepted(reply, lockName)[1]);
    await this.redis.zadd(this.index, expiresAt, lockExpiryMember(channel, lockName));
    return { expiresAt };
  }

  async release(channel: ChannelRef, lockName: string, owner: string): Promise<LockSummary> {
    const { locks } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const reply = await untilDefinite(this.redis, () =>
      this.redis.lockRelease(locks, done, lockName, owner, DONE_LIFETIME_MS),
    );
    const released = { lockName, owner, expiresAt: Number(lockAccepted(reply, lockName)[1]) };
    await this.unindex(channel, [released]);
    return released;
  }

  async list(channel: ChannelRef): Promise<LockSummary[]> {
    const flat = (await this.redis.lockList(channelKeys(this.prefix, channel).locks)) as unknown[];
    const found: LockSummary[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      found.push({
        lockName: String(flat[i]),
        owner: String(flat[i + 1]),
        expiresAt: Number(flat[i + 2]),
      });
    }
    return byName(found);
  }

  async releaseAllOf(channel: ChannelRef, owner: string): Promise<LockSummary[]> {
    const { locks } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const flat = (await untilDefinite(this.redis, () =>
      this.redis.lockReleaseOwner(locks, done, owner, DONE_LIFETIME_MS),
    )) as unknown[];
    const released: LockSummary[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      released.push({ lockName: String(flat[i]), owner, expiresAt: Number(flat[i + 1]) });
    }
    await this.unindex(channel, released);
    return byName(released);
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
    const done = this.doneKey(channel);
    return untilDefinite(this.redis, () =>
      this.redis.lockExpire(locks, done, lockName, DONE_LIFETIME_MS),
    );
  }

  /** The done key of one engine call: every run of the call sends the same one. */
  private doneKey(channel: ChannelRef): string {
    return channelDoneKey(this.prefix, channel, newRequestId());
  }

  /** Index entries whose expiry has passed on the Redis clock; unreadable ones are dropped. */
  private async dueEntries(max: number): Promise<DueEntry[]> {
    const [sec, usec] = await this.redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
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

  /**
   * Drops released locks from the index, each only while its entry still holds that lock's
   * expiry: an acquire that already replaced it keeps its entry. Best effort: a stale entry
   * only costs the sweep a visit that finds nothing.
   */
  private async unindex(channel: ChannelRef, released: LockSummary[]): Promise<void> {
    await Promise.allSettled(
      released.map((lock) =>
        this.redis.lockIndexDrop(
          this.index,
          lockExpiryMember(channel, lock.lockName),
          lock.expiresAt,
        ),
      ),
    );
  }
}

const byName = (locks: LockSummary[]): LockSummary[] =>
  [...locks].sort((a, b) => (a.lockName < b.lockName ? -1 : a.lockName > b.lockName ? 1 : 0));
