import { Global, Module } from '@nestjs/common';
import { ConnectionGateway } from './connection.gateway.js';
import { RealtimeEvents } from './realtime-events.js';

@Global()
@Module({
  providers: [RealtimeEvents, ConnectionGateway],
  exports: [RealtimeEvents],
})
export class SocketModule {}
