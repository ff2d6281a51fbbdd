import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import { AppConfig } from '../config/app-config.js';
import type { AppSocket } from '../socket/socket-types.js';

/**
 * MAX_ROOMS_PER_SOCKET: distinct rooms a socket holds sessions in or is joining. A join
 * reserves its room synchronously, before it awaits storage, so concurrent joins cannot
 * overshoot; more connections in a room the socket already counts are free.
 */
@Injectable()
export class RoomBudget {
  /** Per socket: rooms with joins in flight, and how many. */
  private readonly joining = new WeakMap<AppSocket, Map<string, number>>();

  constructor(private readonly config: AppConfig) {}

  /** Reserves the room for one join; call the returned function when the join settles. */
  reserve(socket: AppSocket, roomId: string): () => void {
    const pending = this.joining.get(socket) ?? new Map<string, number>();
    const rooms = this.roomsOf(socket, pending);
    if (!rooms.has(roomId) && rooms.size >= this.config.get('MAX_ROOMS_PER_SOCKET')) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        'this socket is in too many rooms: leave one first',
      );
    }
    pending.set(roomId, (pending.get(roomId) ?? 0) + 1);
    this.joining.set(socket, pending);
    return () => {
      const left = (pending.get(roomId) ?? 1) - 1;
      if (left > 0) {
        pending.set(roomId, left);
      } else {
        pending.delete(roomId);
      }
    };
  }

  private roomsOf(socket: AppSocket, pending: Map<string, number>): Set<string> {
    const rooms = new Set(pending.keys());
    for (const session of socket.data.joined.values()) {
      rooms.add(session.roomId);
    }
    return rooms;
  }
}
