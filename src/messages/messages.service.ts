import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode, ServerEvent } from '@avalon-realtime/client/protocol';
import { PresenceEngine } from '../engine/presence.engine.js';
import { RealtimeEvents } from '../socket/realtime-events.js';
import type { AppSocket } from '../socket/socket-types.js';
import type { RoomMessageDto } from './messages.dto.js';

/** Room messages: members only, relayed once to the other members on every process. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly presence: PresenceEngine,
    private readonly events: RealtimeEvents,
  ) {}

  /**
   * Presence is decided in O(1) (isPresent), never by listing the room. The sender is
   * named by the connection this socket joined the room with; a present user sending from
   * a socket without a session there is named by one of their connections in the room.
   */
  async send(socket: AppSocket, dto: RoomMessageDto): Promise<{ id: string; ts: number }> {
    const userId = socket.data.userId;
    if (!(await this.presence.isPresent(dto.roomId, userId))) {
      throw new AppError(ErrorCode.NOT_JOINED, 'join the room before sending to it');
    }
    const connId = await this.senderConnId(socket, dto.roomId);
    const message = {
      roomId: dto.roomId,
      id: randomUUID(),
      from: { userId, connId },
      type: dto.type ?? 'message',
      data: dto.data,
      ts: Date.now(),
    };
    this.events.toRoom(dto.roomId, ServerEvent.RoomMessage, message, socket.id);
    return { id: message.id, ts: message.ts };
  }

  private async senderConnId(socket: AppSocket, roomId: string): Promise<string> {
    const own = [...socket.data.joined.values()].find((s) => s.roomId === roomId);
    if (own) {
      return own.connId;
    }
    const rooms = await this.presence.listForUser(socket.data.userId);
    const conn = rooms.find((r) => r.roomId === roomId)?.members[0];
    if (!conn) {
      throw new AppError(ErrorCode.NOT_JOINED, 'join the room before sending to it');
    }
    return conn.connId;
  }
}
