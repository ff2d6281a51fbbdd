import { UseFilters, UseInterceptors, UsePipes, applyDecorators } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { MetricsInterceptor } from '../../metrics/metrics.interceptor.js';
import { AckInterceptor } from './ack.interceptor.js';
import { WsExceptionFilter } from './ws-exception.filter.js';
import { createWsValidationPipe } from './ws-validation.pipe.js';

/**
 * A gateway of client requests: payloads validated against their DTO, return values
 * acked as `{ ok: true, data }`, every failure acked as `{ ok: false, error }`, each counted
 * and timed.
 */
export const RequestGateway = (): ClassDecorator =>
  applyDecorators(
    WebSocketGateway(),
    UsePipes(createWsValidationPipe()),
    UseFilters(new WsExceptionFilter()),
    UseInterceptors(MetricsInterceptor, new AckInterceptor()),
  );
