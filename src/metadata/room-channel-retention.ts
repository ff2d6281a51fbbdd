import { Injectable, Logger } from '@nestjs/common';
import type { ChannelRef } from '@avalon-realtime/client/protocol';
import { AppConfig } from '../config/app-config.js';
import { MetadataEngine } from '../engine/metadata.engine.js';
import { PresenceEngine } from '../engine/presence.engine.js';

const roomChannel = (roomId: string): ChannelRef => ({ channelType: 'room', channelName: roomId });

/**
 * A room channel lives while its room has members and ROOM_CHANNEL_RETENTION_MS after the
 * last one left. Presence tells it when a room fills or empties; neither method ever
 * rejects (a failure is logged: at worst a channel lives until its room empties again).
 */
@Injectable()
export class RoomChannelRetention {
  private readonly logger = new Logger(RoomChannelRetention.name);

  constructor(
    private readonly metadata: MetadataEngine,
    private readonly presence: PresenceEngine,
    private readonly config: AppConfig,
  ) {}

  /** A connection joined the room (after its join committed): its channel is kept. */
  async roomOccupied(roomId: string): Promise<void> {
    await this.safely('keeping a room channel', () =>
      this.metadata.keepChannel(roomChannel(roomId)),
    );
  }

  /**
   * The room's last connection is gone: its channel is deleted after the retention.
   * A join on another process may commit between that removal and this call, and its
   * roomOccupied may already have run: so after setting the expiry the room is looked at
   * again and the expiry undone when it has members. A join committing after that look
   * runs its own roomOccupied afterwards, which clears the expiry.
   */
  async roomEmptied(roomId: string): Promise<void> {
    const channel = roomChannel(roomId);
    await this.safely('scheduling a room channel drop', async () => {
      await this.metadata.dropChannelAfter(channel, this.config.get('ROOM_CHANNEL_RETENTION_MS'));
      if ((await this.presence.list(roomId)).length > 0) {
        await this.metadata.keepChannel(channel);
      }
    });
  }

  private async safely(step: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.logger.warn({ msg: `${step} failed`, err: (err as Error).message });
    }
  }
}
