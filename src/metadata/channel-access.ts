import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode, type ChannelRef } from '@avalon-realtime/client/protocol';
import { PresenceEngine } from '../engine/presence.engine.js';

/**
 * Who may touch a channel. Room channels: users present in that room, for reading and
 * writing. User channels: anyone reads, only that user writes (and locks).
 */
@Injectable()
export class ChannelAccess {
  constructor(private readonly presence: PresenceEngine) {}

  async assertRead(channel: ChannelRef, userId: string): Promise<void> {
    if (channel.channelType === 'room') {
      await this.assertPresent(channel.channelName, userId);
    }
  }

  async assertWrite(channel: ChannelRef, userId: string): Promise<void> {
    if (channel.channelType === 'room') {
      await this.assertPresent(channel.channelName, userId);
    } else if (channel.channelName !== userId) {
      throw new AppError(ErrorCode.FORBIDDEN, 'only its owner may write a user channel');
    }
  }

  private async assertPresent(roomId: string, userId: string): Promise<void> {
    if (!(await this.presence.isPresent(roomId, userId))) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        'only members present in the room may use its channel',
      );
    }
  }
}
