import { Logger } from '@nestjs/common';
import type { Event } from 'socket.io';
import { CLIENT_EVENTS, ErrorCode, ServerEvent, fail } from '../common/protocol/index.js';
import type { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import type { Limiters } from '../rate-limit/limiters.js';
import type { AppSocket } from './socket-types.js';

const MAX_ECHOED_EVENT_LENGTH = 64;
const logger = new Logger('PacketGuard');

/**
 * Every incoming event passes here before any handler: over RATE_EVENTS_PER_SECOND it is
 * answered RATE_LIMITED (and a socket that keeps flooding is disconnected); an unknown or
 * reserved name (`error` included, which would otherwise throw) is answered BAD_REQUEST.
 */
export const packetGuard =
  (socket: AppSocket, limiters: Limiters, metrics: RealtimeMetrics) =>
  ([event, ...args]: Event, next: (err?: Error) => void): void => {
    void limiters.eventFrom(socket.id).then(async (verdict) => {
      if (verdict === 'refused') {
        metrics.rateLimited.inc({ limit: 'events_per_socket' });
        refuse(socket, event, args, ErrorCode.RATE_LIMITED, 'too many requests: slow down');
        if ((await limiters.strike(socket.id)) === 'refused' && socket.connected) {
          logger.warn({ msg: 'disconnecting a flooding socket', userId: socket.data.userId });
          socket.disconnect(true);
        }
      } else if (typeof event !== 'string' || !CLIENT_EVENTS.has(event)) {
        metrics.events.inc({ event: 'unknown', outcome: ErrorCode.BAD_REQUEST });
        refuse(socket, event, args, ErrorCode.BAD_REQUEST, 'unknown event');
      } else {
        next();
      }
    });
  };

function refuse(
  socket: AppSocket,
  event: unknown,
  args: unknown[],
  code: ErrorCode,
  message: string,
): void {
  const ack = args[args.length - 1];
  if (typeof ack === 'function') {
    (ack as (reply: unknown) => void)(fail({ code, message }));
  } else {
    const name = String(event).slice(0, MAX_ECHOED_EVENT_LENGTH);
    socket.emit(ServerEvent.ServerError, { event: name, code, message });
  }
}
