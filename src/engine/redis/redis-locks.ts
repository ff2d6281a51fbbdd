import type { RedisClient } from '../../redis/redis-client.js';
import type { ChannelRef, LockSummary } from '@avalon-realtime/client/protocol';
import type { AcquireOutcome } from '../metadata.engine.js';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import type { Deadline } from '../../common/deadline.js';
import { newRequestId, untilDefinite } from './in-doubt.js';
import { channelDoneKey, channelKeys, lockExpiryKey, lockExpiryMember } from './keys.js';
import { lockAccepted } from './scripts.js';

/**
 * How long a lock script keeps the reply of a request that changed something: far longer
 * than a replay can come (in-doubt.ts), short enough to cost little memory.
 */
export const DONE_LIFETIME_MS = 60_000;

/** What a replay answers when it comes after the caller was already answered. */
const ABANDONED = Symbol('abandoned');

/**
 * Lease locks: one Lua script per operation on the channel's `locks` hash and `fence`
 * counter (one slot), then the cross-slot expiry index, written after the script and
 * idempotently. The index only decides what the sweep visits; whether a lock lapsed is
 * decided by the script that removes it (lock-sweep.ts), so each lapse is reported once.
 */
export class RedisLocks {
  private readonly index: string;

  /**
   * @param answerWithinMs the engine's deadline: a replay later than that would change a
   *   lock after its caller was told UNAVAILABLE, unannounced, so it is not sent.
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly answerWithinMs: number,
  ) {
    this.index = lockExpiryKey(prefix);
  }

  async acquire(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
    maxLocks: number,
    deadline: Deadline,
  ): Promise<AcquireOutcome> {
    const { locks, fence } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const reply = await this.definite(deadline, () =>
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
    deadline: Deadline,
  ): Promise<{ expiresAt: number }> {
    const { locks } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const reply = await this.definite(deadline, () =>
      this.redis.lockRenew(locks, done, lockName, owner, ttlMs, DONE_LIFETIME_MS),
    );
    const expiresAt = Number(lockAccepted(reply, lockName)[1]);
    await this.redis.zadd(this.index, expiresAt, lockExpiryMember(channel, lockName));
    return { expiresAt };
  }

  async release(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    deadline: Deadline,
  ): Promise<LockSummary> {
    const { locks } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const reply = await this.definite(deadline, () =>
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

  async releaseAllOf(
    channel: ChannelRef,
    owner: string,
    deadline: Deadline,
  ): Promise<LockSummary[]> {
    const { locks } = channelKeys(this.prefix, channel);
    const done = this.doneKey(channel);
    const flat = (await this.definite(deadline, () =>
      this.redis.lockReleaseOwner(locks, done, owner, DONE_LIFETIME_MS),
    )) as unknown[];
    const released: LockSummary[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      released.push({ lockName: String(flat[i]), owner, expiresAt: Number(flat[i + 1]) });
    }
    await this.unindex(channel, released);
    return byName(released);
  }

  /** The call run until definite, and not replayed once its caller was answered. */
  private async definite(deadline: Deadline, run: () => Promise<unknown>): Promise<unknown> {
    const until = Date.now() + this.answerWithinMs;
    const reply = await untilDefinite(this.redis, deadline, () =>
      Date.now() < until ? run() : Promise.resolve(ABANDONED),
    );
    if (reply === ABANDONED) {
      throw new AppError(ErrorCode.UNAVAILABLE, 'storage unavailable');
    }
    return reply;
  }

  /** The done key of one engine call: every run of the call sends the same one. */
  private doneKey(channel: ChannelRef): string {
    return channelDoneKey(this.prefix, channel, newRequestId());
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
