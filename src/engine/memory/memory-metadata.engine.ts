import { Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error.js';
import {
  ErrorCode,
  type ChannelRef,
  type LockSummary,
  type MetadataSnapshot,
} from '../../common/protocol/index.js';
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
}

const channelId = (c: ChannelRef): string => `${c.channelType}:${c.channelName}`;

/** Metadata and locks for a single process: the same rules as the Redis engine. */
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
    const stored = this.channels.get(channelId(channel));
    return {
      ...channel,
      majorRevision: stored?.majorRevision ?? 0,
      items: sortedItems(stored?.items.values() ?? []),
    };
  }

  async write(cmd: WriteCommand): Promise<WriteOutcome> {
    const stored = this.channel(cmd.channel);
    if (cmd.lockName !== undefined && !this.holds(stored, cmd.lockName, cmd.authorUserId)) {
      throw new AppError(ErrorCode.LOCK_NOT_HELD, `lock ${cmd.lockName} is not held by you`);
    }
    const plan = planWrite(stored, cmd, this.now());
    if (plan) {
      stored.majorRevision = plan.majorRevision;
      plan.written.forEach((item) => stored.items.set(item.key, item));
      plan.removed.forEach((key) => stored.items.delete(key));
    }
    return {
      majorRevision: stored.majorRevision,
      items: sortedItems(stored.items.values()),
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
  ): Promise<AcquireOutcome> {
    const stored = this.channel(channel);
    const now = this.now();
    const current = stored.locks.get(lockName);
    if (current && current.expiresAt > now && current.owner !== owner) {
      throw new AppError(ErrorCode.LOCK_HELD, `lock ${lockName} is held`, {
        owner: current.owner,
        expiresAt: current.expiresAt,
      });
    }
    const live = current && current.expiresAt > now ? current : undefined;
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
    this.channel(channel).locks.delete(lockName);
    return summary(lock);
  }

  async listLocks(channel: ChannelRef): Promise<LockSummary[]> {
    const now = this.now();
    const locks = [...(this.channels.get(channelId(channel))?.locks.values() ?? [])];
    return locks.filter((lock) => lock.expiresAt > now).map(summary);
  }

  async releaseLocksOf(channel: ChannelRef, owner: string): Promise<LockSummary[]> {
    const stored = this.channels.get(channelId(channel));
    const now = this.now();
    const released = [...(stored?.locks.values() ?? [])].filter(
      (lock) => lock.owner === owner && lock.expiresAt > now,
    );
    released.forEach((lock) => stored?.locks.delete(lock.lockName));
    return released.map(summary);
  }

  async sweepExpiredLocks(max: number): Promise<ChannelLock[]> {
    const now = this.now();
    const swept: ChannelLock[] = [];
    for (const stored of this.channels.values()) {
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

  private channel(channel: ChannelRef): StoredChannel {
    const id = channelId(channel);
    let stored = this.channels.get(id);
    if (!stored) {
      stored = {
        channel: { ...channel },
        majorRevision: 0,
        items: new Map(),
        locks: new Map(),
        fence: 0,
      };
      this.channels.set(id, stored);
    }
    return stored;
  }

  private holds(stored: StoredChannel, lockName: string, owner: string): boolean {
    const lock = stored.locks.get(lockName);
    return !!lock && lock.owner === owner && lock.expiresAt > this.now();
  }

  private heldLock(channel: ChannelRef, lockName: string, owner: string): StoredLock {
    const stored = this.channel(channel);
    const lock = stored.locks.get(lockName);
    if (!lock || !this.holds(stored, lockName, owner)) {
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
