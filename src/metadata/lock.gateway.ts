import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { RequestGateway } from '../common/errors/request-gateway.decorator.js';
import { ClientEvent } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket/socket-types.js';
import { ChannelDto } from './channel.dto.js';
import { LockDto, LockTtlDto } from './lock.dto.js';
import { LockService } from './lock.service.js';

/** lock:* requests: validate, delegate, return. */
@RequestGateway()
export class LockGateway {
  constructor(private readonly locks: LockService) {}

  @SubscribeMessage(ClientEvent.LockAcquire)
  acquire(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: LockTtlDto) {
    return this.locks.acquire(socket.data.userId, dto);
  }

  @SubscribeMessage(ClientEvent.LockRenew)
  renew(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: LockTtlDto) {
    return this.locks.renew(socket.data.userId, dto);
  }

  @SubscribeMessage(ClientEvent.LockRelease)
  release(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: LockDto) {
    return this.locks.release(socket.data.userId, dto);
  }

  @SubscribeMessage(ClientEvent.LockList)
  list(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: ChannelDto) {
    return this.locks.list(socket.data.userId, dto);
  }
}
