import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError } from '../common/errors/app-error.js';
import { ErrorCode, ServerEvent } from '../common/protocol/index.js';
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

  async send(socket: AppSocket, dto: RoomMessageDto): Promise<{ id: string; ts: number }> {
    const userId = socket.data.userId;
    const mine = (await this.presence.list(dto.roomId)).filter((m) => m.userId === userId);
    if (mine.length === 0) {
      throw new AppError(ErrorCode.NOT_JOINED, 'join the room before sending to it');
    }
    const own = [...socket.data.joined.values()].find((s) => s.roomId === dto.roomId);
    const connId = mine.find((m) => m.connId === own?.connId)?.connId ?? mine[0].connId;
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
}
