import { ErrorCode } from '@avalon-realtime/client/protocol';
import type { RealtimeMetrics } from '../../metrics/realtime.metrics.js';
import type { ConnectionCapacity } from '../../rate-limit/connection-capacity.js';
import type { AppSocket } from '../socket-types.js';
import { handshakeError } from './handshake-error.js';

/**
 * MAX_CONN_PER_INSTANCE (OVERLOADED) and MAX_CONN_PER_USER (RATE_LIMITED). Runs last and synchronously, so nothing
 * between the reservation and the connection can fail; the slot is freed when the
 * transport closes, also for a client that vanished mid-handshake.
 */
export const capacityMiddleware =
  (capacity: ConnectionCapacity, metrics: RealtimeMetrics) =>
  (socket: AppSocket, next: (err?: Error) => void): void => {
    const slot = capacity.reserve(socket.data.userId);
    if ('release' in slot) {
      socket.conn.once('close', slot.release);
      return next();
    }
    const full = slot.refused === 'instance';
    const code = full ? ErrorCode.OVERLOADED : ErrorCode.RATE_LIMITED;
    metrics.rateLimited.inc({ limit: full ? 'connections_per_instance' : 'connections_per_user' });
    metrics.connectionsTotal.inc({ result: 'refused', reason: code });
    const message = full
      ? 'server is full: try again shortly'
      : 'too many connections for this user';
    next(handshakeError(code, message));
  };
