import { ErrorCode } from '@avalon-realtime/client/protocol';
import type { RealtimeMetrics } from '../../metrics/realtime.metrics.js';
import type { ShutdownState } from '../../shutdown/shutdown-state.js';
import type { AppSocket } from '../socket-types.js';
import { handshakeError } from './handshake-error.js';

/** A stopping process accepts nobody new: the client tries another process. */
export const shutdownMiddleware =
  (state: ShutdownState, metrics: RealtimeMetrics) =>
  (_socket: AppSocket, next: (err?: Error) => void): void => {
    if (!state.active) {
      return next();
    }
    metrics.connectionsTotal.inc({ result: 'refused', reason: ErrorCode.SHUTTING_DOWN });
    next(handshakeError(ErrorCode.SHUTTING_DOWN, 'server is shutting down: connect again'));
  };
