import type { Redis } from 'ioredis';
import type { ChannelRef, LockSummary } from '../../common/protocol/index.js';
import type { AcquireOutcome, ChannelLock } from '../metadata.engine.js';
import { channelKeys, lockExpiryKey, lockExpiryMember, parseLockExpiryMember } from './keys.js';
import { lockAccepted } from './scripts.js';

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
  ): Promise<AcquireOutcome> {
    const { locks, fence } = channelKeys(this.prefix, channel);
    const reply = lockAccepted(
      await this.redis.lockAcquire(locks, fence, lockName, owner, ttlMs),
      lockName,
    );
    const [, token, expiresAt, acquired] = reply.map(Number);
    // Not best effort: without its entry the lapse would never be announced; the caller's
    // retry (UNAVAILABLE) re-acquires as holder and indexes again.
    await this.redis.zadd(this.index, expiresAt, lockExpiryMember(channel, lockName));
    const lapsed: LockSummary | undefined =
      reply[4] === ''
        ? undefined
        : { lockName, owner: String(reply[4]), expiresAt: Number(reply[5]) };
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
    const reply = lockAccepted(await this.redis.lockRenew(locks, lockName, owner, ttlMs), lockName);
    const expiresAt = Number(reply[1]);
    await this.redis.zadd(this.index, expiresAt, lockExpiryMember(channel, lockName));
    return { expiresAt };
  }

  async release(channel: ChannelRef, lockName: string, owner: string): Promise<LockSummary> {
    const { locks } = channelKeys(this.prefix, channel);
    const reply = lockAccepted(await this.redis.lockRelease(locks, lockName, owner), lockName);
    const released = { lockName, owner, expiresAt: Number(reply[1]) };
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
    const flat = (await this.redis.lockReleaseOwner(locks, owner)) as unknown[];
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
    const pipeline = this.redis.pipeline();
    for (const { channel, lockName } of due) {
      pipeline.lockExpire(channelKeys(this.prefix, channel).locks, lockName);
    }
    const replies = (await pipeline.exec()) ?? [];
    const swept: ChannelLock[] = [];
    const upkeep = due.map((entry, i) => {
      const [err, reply] = replies[i] ?? [new Error('missing pipeline reply')];
      if (err || !Array.isArray(reply)) {
        return Promise.resolve(); // still indexed: visited again by the next sweep
      }
      if (reply[0] === 'LIVE') {
        // Renewed or re-acquired meanwhile: make sure the entry shows the live expiry.
        return this.redis.zadd(this.index, 'GT', Number(reply[1]), entry.member);
      }
      if (reply[0] === 'EXPIRED') {
        const { channel, lockName } = entry;
        swept.push({
          channel,
          lock: { lockName, owner: String(reply[1]), expiresAt: Number(reply[2]) },
        });
      }
      return this.redis.lockIndexDrop(this.index, entry.member, entry.score);
    });
    // Index upkeep is best effort: the removals happened and must be reported.
    await Promise.allSettled(upkeep);
    return swept;
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
