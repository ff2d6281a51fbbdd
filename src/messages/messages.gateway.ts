import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { RequestGateway } from '../common/errors/request-gateway.decorator.js';
import { ClientEvent } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket/socket-types.js';
import { RoomMessageDto } from './messages.dto.js';
import { MessagesService } from './messages.service.js';

@RequestGateway()
export class MessagesGateway {
  constructor(private readonly messages: MessagesService) {}

  @SubscribeMessage(ClientEvent.RoomMessage)
  send(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: RoomMessageDto) {
    return this.messages.send(socket, dto);
  }
}
