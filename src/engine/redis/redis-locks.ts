import type { Redis } from 'ioredis';
import type { ChannelRef, LockSummary } from '../../common/protocol/index.js';
import type { AcquireOutcome, ChannelLock } from '../metadata.engine.js';
import { channelKeys, lockExpiryKey, lockExpiryMember, parseLockExpiryMember } from './keys.js';
import { lockAccepted } from './scripts.js';

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
    const due: {
      member: string;
      score: string;
      lock?: ReturnType<typeof parseLockExpiryMember>;
    }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      due.push({ member: flat[i], score: flat[i + 1], lock: parseLockExpiryMember(flat[i]) });
    }
    const pipeline = this.redis.pipeline();
    for (const { lock } of due) {
      if (lock) {
        pipeline.lockExpire(channelKeys(this.prefix, lock.channel).locks, lock.lockName);
      }
    }
    const replies = (await pipeline.exec()) ?? [];
    const swept: ChannelLock[] = [];
    const indexing: Promise<unknown>[] = [];
    let next = 0;
    for (const { member, score, lock } of due) {
      if (!lock) {
        indexing.push(this.redis.lockIndexDrop(this.index, member, score));
        continue;
      }
      const [err, reply] = replies[next++] ?? [new Error('missing pipeline reply')];
      if (err || !Array.isArray(reply)) {
        continue; // still indexed: visited again by the next sweep
      }
      if (reply[0] === 'LIVE') {
        // Renewed or re-acquired meanwhile: make sure the entry shows the live expiry.
        indexing.push(this.redis.zadd(this.index, 'GT', Number(reply[1]), member));
        continue;
      }
      if (reply[0] === 'EXPIRED') {
        const summary = {
          lockName: lock.lockName,
          owner: String(reply[1]),
          expiresAt: Number(reply[2]),
        };
        swept.push({ channel: lock.channel, lock: summary });
      }
      indexing.push(this.redis.lockIndexDrop(this.index, member, score));
    }
    // Index upkeep is best effort: the removals happened and must be reported.
    await Promise.allSettled(indexing);
    return swept;
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
