import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import { RequestGateway } from '../common/errors/request-gateway.decorator.js';
import { ClientEvent } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket/socket-types.js';
import { HeartbeatDto, JoinDto, LeaveDto, ListDto, UserDto } from './presence.dto.js';
import { PresenceService } from './presence.service.js';

/** presence:* requests: validate, delegate, return (the dispatcher wraps the ack). */
@RequestGateway()
export class PresenceGateway implements OnGatewayConnection<AppSocket> {
  constructor(private readonly presence: PresenceService) {}

  handleConnection(socket: AppSocket): void {
    socket.once('disconnect', (reason) => void this.presence.disconnected(socket, reason));
  }

  @SubscribeMessage(ClientEvent.PresenceJoin)
  join(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: JoinDto) {
    return this.presence.join(socket, dto);
  }

  @SubscribeMessage(ClientEvent.PresenceHeartbeat)
  heartbeat(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: HeartbeatDto) {
    return this.presence.heartbeat(socket, dto);
  }

  @SubscribeMessage(ClientEvent.PresenceLeave)
  leave(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: LeaveDto) {
    return this.presence.leave(socket, dto);
  }

  @SubscribeMessage(ClientEvent.PresenceList)
  list(@MessageBody() dto: ListDto) {
    return this.presence.list(dto.roomId);
  }

  @SubscribeMessage(ClientEvent.PresenceUser)
  user(@MessageBody() dto: UserDto) {
    return this.presence.user(dto.userId);
  }
}
