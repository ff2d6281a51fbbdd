import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ConnectionGateway } from './connection.gateway.js';
import { RealtimeEvents } from './realtime-events.js';
import { RequestDispatcher } from './request-dispatcher.js';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [RealtimeEvents, RequestDispatcher, ConnectionGateway],
  exports: [RealtimeEvents],
})
export class SocketModule {}
