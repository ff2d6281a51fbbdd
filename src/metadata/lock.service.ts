import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import {
  ErrorCode,
  ServerEvent,
  type ChannelRef,
  type LockEventType,
  type LockGrant,
  type LockSummary,
} from '../common/protocol/index.js';
import { MetadataEngine, type ChannelLock } from '../engine/metadata.engine.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import { ChannelAccess } from './channel-access.js';
import { channelOf } from './channel.dto.js';
import type { LockDto, LockTtlDto } from './lock.dto.js';

/** Lease locks: access rules, and every acquisition, release and lapse announced once. */
@Injectable()
export class LockService {
  private readonly logger = new Logger(LockService.name);

  constructor(
    private readonly engine: MetadataEngine,
    private readonly access: ChannelAccess,
    private readonly events: RealtimeEvents,
  ) {}

  async acquire(userId: string, dto: LockTtlDto): Promise<LockGrant> {
    const channel = channelOf(dto);
    await this.assertMayLock(channel, userId);
    const outcome = await this.engine.acquireLock(channel, dto.lockName, userId, dto.ttlMs);
    if (outcome.expired) {
      this.announce(channel, outcome.expired, 'expired');
    }
    if (outcome.acquired) {
      this.announce(channel, outcome.grant, 'acquired');
    }
    return outcome.grant;
  }

  async renew(userId: string, dto: LockTtlDto): Promise<{ expiresAt: number }> {
    return this.engine.renewLock(channelOf(dto), dto.lockName, userId, dto.ttlMs);
  }

  async release(userId: string, dto: LockDto): Promise<{ released: true }> {
    const channel = channelOf(dto);
    const lock = await this.engine.releaseLock(channel, dto.lockName, userId);
    this.announce(channel, lock, 'released');
    return { released: true };
  }

  async list(userId: string, dto: ChannelRef): Promise<{ locks: LockSummary[] }> {
    const channel = channelOf(dto);
    await this.access.assertRead(channel, userId);
    return { locks: await this.engine.listLocks(channel) };
  }

  /** The user is no longer present in the room: the room channel's locks they hold end. */
  async releaseAllOf(roomId: string, userId: string): Promise<void> {
    const channel: ChannelRef = { channelType: 'room', channelName: roomId };
    try {
      const released = await this.engine.releaseLocksOf(channel, userId);
      released.forEach((lock) => this.announce(channel, lock, 'released'));
    } catch (err) {
      // The lease still lapses at its TTL and is announced then.
      this.logger.warn({
        msg: 'releasing locks of a departed user failed',
        err: (err as Error).message,
      });
    }
  }

  announceExpired(expired: ChannelLock[]): void {
    expired.forEach(({ channel, lock }) => this.announce(channel, lock, 'expired'));
  }

  private async assertMayLock(channel: ChannelRef, userId: string): Promise<void> {
    if (channel.channelType === 'user' && channel.channelName !== userId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'only its owner may lock a user channel');
    }
    await this.access.assertWrite(channel, userId);
  }

  private announce(channel: ChannelRef, lock: LockSummary, type: LockEventType): void {
    const event = { ...channel, lockName: lock.lockName, type, owner: lock.owner, ts: Date.now() };
    this.events.toChannel(channel, ServerEvent.LockEvent, event);
  }
}
