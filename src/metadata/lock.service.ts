import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import {
  ErrorCode,
  ServerEvent,
  type ChannelRef,
  type LockEventType,
  type LockGrant,
  type LockSummary,
} from '@avalon-realtime/client/protocol';
import { AppConfig } from '../config/app-config.js';
import { MetadataEngine, type ChannelLock } from '../engine/metadata.engine.js';
import { PresenceEngine } from '../engine/presence.engine.js';
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
    private readonly presence: PresenceEngine,
    private readonly config: AppConfig,
  ) {}

  /**
   * Grants only to a user present at that moment. Presence and lock keys live in different
   * hash slots, so no single step can check both: presence is checked before the grant
   * and again after it (see `stillPresent`).
   */
  async acquire(userId: string, dto: LockTtlDto): Promise<LockGrant> {
    const channel = channelOf(dto);
    await this.assertMayLock(channel, userId);
    const maxLocks = this.config.get('MAX_LOCKS_PER_CHANNEL');
    const outcome = await this.engine.acquireLock(
      channel,
      dto.lockName,
      userId,
      dto.ttlMs,
      maxLocks,
    );
    if (outcome.expired) {
      this.announce(channel, outcome.expired, 'expired');
    }
    if (outcome.acquired) {
      this.announce(channel, outcome.grant, 'acquired');
    }
    if (!(await this.stillPresent(channel, dto.lockName, userId))) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        'only users present in the room may lock its channel',
      );
    }
    return outcome.grant;
  }

  /** Renews only while the holder is still present (checked after the renewal, as above). */
  async renew(userId: string, dto: LockTtlDto): Promise<{ expiresAt: number }> {
    const channel = channelOf(dto);
    const renewed = await this.engine.renewLock(channel, dto.lockName, userId, dto.ttlMs);
    if (!(await this.stillPresent(channel, dto.lockName, userId))) {
      throw new AppError(ErrorCode.LOCK_NOT_HELD, `lock ${dto.lockName} is not held by you`);
    }
    return renewed;
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

  /**
   * The second presence check after a grant or renewal of a room-channel lock; when the
   * user is gone, the lock is released here (announced once) and the caller refused.
   * Why this closes the race with a leave: the leave path commits the removal first and
   * then releases every lock of the user. If that removal committed before this check,
   * the check sees it and releases the lock; if it commits after this check, it also
   * comes after the grant, so the leave path's release (which follows its removal) finds
   * the granted lock and releases it. Either way no absent user keeps a lock; whichever
   * release comes second finds nothing and announces nothing.
   */
  private async stillPresent(
    channel: ChannelRef,
    lockName: string,
    userId: string,
  ): Promise<boolean> {
    if (channel.channelType !== 'room') {
      return true;
    }
    if (await this.presence.isPresent(channel.channelName, userId)) {
      return true;
    }
    await this.engine.releaseLock(channel, lockName, userId).then(
      (lock) => this.announce(channel, lock, 'released'),
      () => undefined, // already released by the leave path (or lapsed): nothing to announce
    );
    return false;
  }

  private announce(channel: ChannelRef, lock: LockSummary, type: LockEventType): void {
    const event = { ...channel, lockName: lock.lockName, type, owner: lock.owner, ts: Date.now() };
    this.events.toChannel(channel, ServerEvent.LockEvent, event);
  }
}
