import type { RedisClient } from '../../redis/redis-client.js';
import type { ChannelRef, LockSummary, MetadataSnapshot } from '@avalon-realtime/client/protocol';
import { ScriptRegistry } from '../../redis/script-registry.js';
import type { Transactions } from '../../redis/transactions.js';
import {
  MetadataEngine,
  type AcquireOutcome,
  type ChannelLock,
  type WriteCommand,
  type WriteOutcome,
} from '../metadata.engine.js';
import { sortedItems } from '../metadata-rules.js';
import { channelKeys } from './keys.js';
import { parseChannel, writeChannel } from './metadata-transaction.js';
import { RedisLockSweep } from './lock-sweep.js';
import { RedisLocks } from './redis-locks.js';
import { LOCK_SCRIPTS } from './scripts.js';
import type { Deadline } from '../../common/deadline.js';
import { toAppError, withDeadline } from '../../common/storage-deadline.js';

export interface RedisMetadataOptions {
  prefix: string;
  /** EXECs aborted by concurrent writes that are tried again before BUSY. */
  maxRetries: number;
  /** Deadline of one call on the shared client; past it the caller gets UNAVAILABLE. */
  commandTimeoutMs: number;
}

/**
 * Channel metadata and locks in Redis. Writes are WATCH/MULTI/EXEC transactions on a
 * pooled connection of their own (a write checks its lock in the same transaction);
 * reads and locks run on the shared client, locks as one Lua script per operation.
 * The transactions belong to whoever created them (drained at shutdown), like the client.
 */
export class RedisMetadataEngine extends MetadataEngine {
  private readonly scripts: ScriptRegistry;
  private readonly locks: RedisLocks;
  private readonly lockSweep: RedisLockSweep;

  constructor(
    private readonly redis: RedisClient,
    private readonly transactions: Transactions,
    private readonly options: RedisMetadataOptions,
  ) {
    super();
    this.scripts = new ScriptRegistry(redis, LOCK_SCRIPTS);
    this.locks = new RedisLocks(redis, options.prefix, options.commandTimeoutMs);
    this.lockSweep = new RedisLockSweep(redis, options.prefix);
  }

  /** Scripts loaded and one pooled connection answering (on a cluster: to one master). */
  async ready(): Promise<void> {
    await this.guard(() => this.scripts.load());
    try {
      await this.transactions.use(this.options.prefix, async (conn) => {
        await conn.redis.ping();
      });
    } catch (err) {
      throw toAppError(err);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  read(channel: ChannelRef): Promise<MetadataSnapshot> {
    return this.guard(async () => {
      const state = parseChannel(await this.redis.hgetall(this.keys(channel).meta));
      return {
        ...channel,
        majorRevision: state.majorRevision,
        items: sortedItems(state.items.values()),
      };
    });
  }

  /**
   * No overall deadline: every command and the pool's acquire have their own, and a
   * deadline racing an EXEC would turn a known result into "may or may not have happened".
   */
  async write(cmd: WriteCommand): Promise<WriteOutcome> {
    try {
      return await writeChannel(
        this.transactions,
        this.keys(cmd.channel),
        cmd,
        this.options.maxRetries,
      );
    } catch (err) {
      throw toAppError(err);
    }
  }

  acquireLock(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
    maxLocks: number,
  ): Promise<AcquireOutcome> {
    return this.guard((d) => this.locks.acquire(channel, lockName, owner, ttlMs, maxLocks, d));
  }

  renewLock(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
  ): Promise<{ expiresAt: number }> {
    return this.guard((d) => this.locks.renew(channel, lockName, owner, ttlMs, d));
  }

  releaseLock(channel: ChannelRef, lockName: string, owner: string): Promise<LockSummary> {
    return this.guard((d) => this.locks.release(channel, lockName, owner, d));
  }

  listLocks(channel: ChannelRef): Promise<LockSummary[]> {
    return this.guard(() => this.locks.list(channel));
  }

  releaseLocksOf(channel: ChannelRef, owner: string): Promise<LockSummary[]> {
    return this.guard((d) => this.locks.releaseAllOf(channel, owner, d));
  }

  /** No engine deadline here: locks a sweep already removed must be reported. */
  async sweepExpiredLocks(max: number): Promise<ChannelLock[]> {
    try {
      return await this.lockSweep.sweep(max);
    } catch (err) {
      throw toAppError(err);
    }
  }

  /** PEXPIRE on every key of the channel (the done keys expire on their own). */
  async dropChannelAfter(channel: ChannelRef, afterMs: number): Promise<void> {
    await this.guard(() =>
      this.onChannelKeys(channel, (redis, key) => redis.pexpire(key, afterMs)),
    );
  }

  async keepChannel(channel: ChannelRef): Promise<void> {
    await this.guard(() => this.onChannelKeys(channel, (redis, key) => redis.persist(key)));
  }

  /**
   * One command per key of the channel, auto-pipelined with the other calls of the tick
   * (no ioredis Pipeline of its own per join); any failure fails the call.
   */
  private async onChannelKeys(
    channel: ChannelRef,
    command: (redis: RedisClient, key: string) => Promise<unknown>,
  ): Promise<void> {
    await Promise.all(
      Object.values(this.keys(channel)).map((key: string) => command(this.redis, key)),
    );
  }

  private keys(channel: ChannelRef) {
    return channelKeys(this.options.prefix, channel);
  }

  private guard<T>(work: (deadline: Deadline) => Promise<T>): Promise<T> {
    return withDeadline(this.options.commandTimeoutMs, work);
  }
}
