import { applyDecorators } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WebSocketGateway } from '@nestjs/websockets';

/** Marks the classes whose @SubscribeMessage methods the RequestDispatcher serves. */
export const REQUEST_GATEWAY = DiscoveryService.createDecorator();

/**
 * A gateway of client requests: its @SubscribeMessage methods are served by the
 * RequestDispatcher (src/socket), which validates payloads against their DTO, acks return
 * values as `{ ok: true, data }` and every failure as `{ ok: false, error }`, and counts and
 * times each request.
 */
export const RequestGateway = (): ClassDecorator =>
  applyDecorators(WebSocketGateway(), REQUEST_GATEWAY());
