import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import { RequestGateway } from '../common/errors/request-gateway.decorator.js';
import { ClientEvent } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket/socket-types.js';
import { RefreshDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { TokenExpiryTracker } from './token-expiry.tracker.js';

/** Holds every socket to its token's `exp`; `auth:refresh` moves the deadline. */
@RequestGateway()
export class AuthGateway implements OnGatewayConnection<AppSocket>, OnGatewayDisconnect<AppSocket> {
  constructor(
    private readonly auth: AuthService,
    private readonly expiry: TokenExpiryTracker,
  ) {}

  handleConnection(socket: AppSocket): void {
    this.expiry.track(socket, socket.data.tokenExp);
  }

  handleDisconnect(socket: AppSocket): void {
    this.expiry.untrack(socket);
  }

  @SubscribeMessage(ClientEvent.AuthRefresh)
  refresh(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: RefreshDto) {
    return this.auth.refresh(socket, dto.token);
  }
}
