import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { RequestGateway } from '../common/errors/request-gateway.decorator.js';
import { ClientEvent } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket/socket-types.js';
import { ChannelDto } from './channel.dto.js';
import { MetadataRemoveDto, MetadataWriteDto } from './metadata.dto.js';
import { MetadataService } from './metadata.service.js';

/** metadata:* requests: validate, delegate, return. */
@RequestGateway()
export class MetadataGateway {
  constructor(private readonly metadata: MetadataService) {}

  @SubscribeMessage(ClientEvent.MetadataGet)
  get(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: ChannelDto) {
    return this.metadata.get(socket, dto);
  }

  @SubscribeMessage(ClientEvent.MetadataSet)
  set(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: MetadataWriteDto) {
    return this.metadata.write(socket, 'set', dto);
  }

  @SubscribeMessage(ClientEvent.MetadataUpdate)
  update(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: MetadataWriteDto) {
    return this.metadata.write(socket, 'update', dto);
  }

  @SubscribeMessage(ClientEvent.MetadataRemove)
  remove(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: MetadataRemoveDto) {
    return this.metadata.remove(socket, dto);
  }

  @SubscribeMessage(ClientEvent.MetadataSubscribe)
  subscribe(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: ChannelDto) {
    return this.metadata.subscribe(socket, dto);
  }

  @SubscribeMessage(ClientEvent.MetadataUnsubscribe)
  unsubscribe(@ConnectedSocket() socket: AppSocket, @MessageBody() dto: ChannelDto) {
    return this.metadata.unsubscribe(socket, dto);
  }
}
