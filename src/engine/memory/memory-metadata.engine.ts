import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error.js';
import {
  ErrorCode,
  type ChannelRef,
  type LockSummary,
  type MetadataSnapshot,
} from '@avalon-realtime/client/protocol';
import {
  MetadataEngine,
  type AcquireOutcome,
  type ChannelLock,
  type WriteCommand,
  type WriteOutcome,
} from '../metadata.engine.js';
import { planWrite, sortedItems, type ChannelState } from '../metadata-rules.js';

interface StoredLock extends LockSummary {
  token: number;
}

interface StoredChannel extends ChannelState {
  channel: ChannelRef;
  locks: Map<string, StoredLock>;
  fence: number;
  /** When set, the channel is gone from this time on (its room emptied; retention). */
  dropAt?: number;
}

const channelId = (c: ChannelRef): string => `${c.channelType}:${c.channelName}`;

const emptyChannel = (channel: ChannelRef): StoredChannel => ({
  channel: { ...channel },
  majorRevision: 0,
  items: new Map(),
  locks: new Map(),
  fence: 0,
});

/**
 * Metadata and locks for a single process: the same rules as the Redis engine. A channel
 * exists from its first successful write or grant; a dropped one vanishes when its time
 * comes (lazily on access, and from memory at the next sweep).
 */
@Injectable()
export class MemoryMetadataEngine extends MetadataEngine {
  private readonly channels = new Map<string, StoredChannel>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.channels.clear();
  }

  async read(channel: ChannelRef): Promise<MetadataSnapshot> {
    const stored = this.find(channel);
    return {
      ...channel,
      majorRevision: stored?.majorRevision ?? 0,
      items: sortedItems(stored?.items.values() ?? []),
    };
  }

  async write(cmd: WriteCommand): Promise<WriteOutcome> {
    const current = this.find(cmd.channel) ?? emptyChannel(cmd.channel);
    if (cmd.lockName !== undefined && !this.holds(current, cmd.lockName, cmd.authorUserId)) {
      throw new AppError(ErrorCode.LOCK_NOT_HELD, `lock ${cmd.lockName} is not held by you`);
    }
    const plan = planWrite(current, cmd, this.now());
    if (plan) {
      const stored = this.channel(cmd.channel);
      stored.majorRevision = plan.majorRevision;
      plan.written.forEach((item) => stored.items.set(item.key, item));
      plan.removed.forEach((key) => stored.items.delete(key));
    }
    const after = plan ? this.channel(cmd.channel) : current;
    return {
      majorRevision: after.majorRevision,
      items: sortedItems(after.items.values()),
      written: plan?.written ?? [],
      removed: plan?.removed ?? [],
      changed: !!plan,
      attempts: 1,
    };
  }

  async acquireLock(
    channel: ChannelRef,
    lockName: string,
    owner: string,
    ttlMs: number,
    maxLocks: number,
  ): Promise<AcquireOutcome> {
    const now = this.now();
    const current = this.find(channel)?.locks.get(lockName);
    if (current && current.expiresAt > now && current.owner !== owner) {
      throw new AppError(ErrorCode.LOCK_HELD, `lock ${lockName} is held`, {
        owner: current.owner,
        expiresAt: current.expiresAt,
      });
    }
    const live = current && current.expiresAt > now ? current : undefined;
    if (!live && this.liveLocks(channel) >= maxLocks) {
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `a channel holds at most ${maxLocks} locks`);
    }
    const stored = this.channel(channel);
    const token = live?.token ?? (stored.fence = Math.max(stored.fence + 1, now));
    const lock = { lockName, owner, token, expiresAt: now + ttlMs };
    stored.locks.set(lockName, lock);
    const expired = current && !live ? summary(current) : undefined;
    return { grant: { ...lock }, acquired: !live, ...(expired ? { expired } : {}) };
  }

  async renewLock(channel: ChannelRef, lockName: string, owner: string, ttlMs: number) {
    const lock = this.heldLock(channel, lockName, owner);
    lock.expiresAt = this.now() + ttlMs;
    return { expiresAt: lock.expiresAt };
  }

  async releaseLock(channel: ChannelRef, lockName: string, owner: string): Promise<LockSummary> {
    const lock = this.heldLock(channel, lockName, owner);
    this.find(channel)?.locks.delete(lockName);
    return summary(lock);
  }

  async listLocks(channel: ChannelRef): Promise<LockSummary[]> {
    const now = this.now();
    const locks = [...(this.find(channel)?.locks.values() ?? [])];
    return locks.filter((lock) => lock.expiresAt > now).map(summary);
  }

  async releaseLocksOf(channel: ChannelRef, owner: string): Promise<LockSummary[]> {
    const stored = this.find(channel);
    const now = this.now();
    const released = [...(stored?.locks.values() ?? [])].filter(
      (lock) => lock.owner === owner && lock.expiresAt > now,
    );
    released.forEach((lock) => stored?.locks.delete(lock.lockName));
    return released.map(summary);
  }

  /** Also frees the channels whose drop time has come (their locks vanish unannounced). */
  async sweepExpiredLocks(max: number): Promise<ChannelLock[]> {
    const now = this.now();
    const swept: ChannelLock[] = [];
    for (const stored of [...this.channels.values()]) {
      if (!this.find(stored.channel)) {
        continue;
      }
      for (const lock of stored.locks.values()) {
        if (swept.length >= max) {
          return swept;
        }
        if (lock.expiresAt <= now) {
          stored.locks.delete(lock.lockName);
          swept.push({ channel: stored.channel, lock: summary(lock) });
        }
      }
    }
    return swept;
  }

  async dropChannelAfter(channel: ChannelRef, afterMs: number): Promise<void> {
    const stored = this.find(channel);
    if (stored) {
      stored.dropAt = this.now() + afterMs;
    }
  }

  async keepChannel(channel: ChannelRef): Promise<void> {
    const stored = this.find(channel);
    if (stored) {
      delete stored.dropAt;
    }
  }

  /** The stored channel, unless it does not exist or its drop time has come (then it goes). */
  private find(channel: ChannelRef): StoredChannel | undefined {
    const id = channelId(channel);
    const stored = this.channels.get(id);
    if (stored?.dropAt !== undefined && stored.dropAt <= this.now()) {
      this.channels.delete(id);
      return undefined;
    }
    return stored;
  }

  /** The stored channel, created for a write or grant that is about to happen. */
  private channel(channel: ChannelRef): StoredChannel {
    let stored = this.find(channel);
    if (!stored) {
      stored = emptyChannel(channel);
      this.channels.set(channelId(channel), stored);
    }
    return stored;
  }

  private liveLocks(channel: ChannelRef): number {
    const now = this.now();
    return [...(this.find(channel)?.locks.values() ?? [])].filter((l) => l.expiresAt > now).length;
  }

  private holds(stored: StoredChannel, lockName: string, owner: string): boolean {
    const lock = stored.locks.get(lockName);
    return !!lock && lock.owner === owner && lock.expiresAt > this.now();
  }

  private heldLock(channel: ChannelRef, lockName: string, owner: string): StoredLock {
    const stored = this.find(channel);
    const lock = stored?.locks.get(lockName);
    if (!stored || !lock || !this.holds(stored, lockName, owner)) {
      throw new AppError(ErrorCode.LOCK_NOT_HELD, `lock ${lockName} is not held by you`);
    }
    return lock;
  }
}

const summary = (lock: LockSummary): LockSummary => ({
  lockName: lock.lockName,
  owner: lock.owner,
  expiresAt: lock.expiresAt,
});
