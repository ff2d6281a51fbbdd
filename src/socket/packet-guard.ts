import { Logger } from '@nestjs/common';
import type { Event } from 'socket.io';
import { ErrorCode, ServerEvent } from '@avalon-realtime/client/protocol';
import { fail } from '../common/ack.js';
import type { RealtimeMetrics } from '../metrics/realtime.metrics.js';
import type { Limiters } from '../rate-limit/limiters.js';
import type { RequestDispatcher } from './request-dispatcher.js';
import type { AppSocket } from './socket-types.js';

const MAX_ECHOED_EVENT_LENGTH = 64;
const logger = new Logger('PacketGuard');

/**
 * The socket's only middleware, and the end of every incoming event's way through
 * Socket.IO: over RATE_EVENTS_PER_SECOND it is answered RATE_LIMITED (and a socket that
 * keeps flooding is disconnected); an unknown or reserved name (`error` included) is
 * answered BAD_REQUEST; any other goes to the dispatcher. It never calls `next`, so
 * Socket.IO emits nothing and the socket needs no listener per event.
 */
export const packetGuard = (
  socket: AppSocket,
  limiters: Limiters,
  metrics: RealtimeMetrics,
  dispatcher: RequestDispatcher,
) => {
  const budget = limiters.eventBudget();
  return ([event, ...args]: Event): void => {
    if (!budget.allows()) {
      metrics.rateLimited.inc({ limit: 'events_per_socket' });
      refuse(socket, event, args, ErrorCode.RATE_LIMITED, 'too many requests: slow down');
      if (budget.strikeOut() && socket.connected) {
        logger.warn({ msg: 'disconnecting a flooding socket', userId: socket.data.userId });
        socket.disconnect(true);
      }
    } else if (!socket.connected) {
      // An event that outlived its socket is dropped, as Socket.IO itself drops it.
    } else if (typeof event !== 'string' || !dispatcher.dispatch(socket, event, args)) {
      metrics.events.inc({ event: 'unknown', outcome: ErrorCode.BAD_REQUEST });
      refuse(socket, event, args, ErrorCode.BAD_REQUEST, 'unknown event');
    }
  };
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
