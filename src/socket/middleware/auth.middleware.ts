import type { JwtService } from '../../auth/jwt.service.js';
import type { RealtimeMetrics } from '../../metrics/realtime.metrics.js';
import type { Limiters } from '../../rate-limit/limiters.js';
import { AppError } from '../../common/errors/app-error.js';
import { ErrorCode } from '@avalon-realtime/client/protocol';
import type { AppSocket } from '../socket-types.js';
import { handshakeError } from './handshake-error.js';

/**
 * Authenticates the handshake before any handler can run; never accept-then-disconnect.
 * Only `auth.token` is read (a token in the query string would end up in access logs).
 * A failure counts against the client address's strict budget before the answer goes out,
 * so the address's next handshake already sees it.
 */
export const authMiddleware =
  (jwt: JwtService, limiters: Limiters, metrics: RealtimeMetrics) =>
  (socket: AppSocket, next: (err?: Error) => void): void => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    jwt.authenticate(auth?.token).then(
      ({ userId, exp }) => {
        socket.data.userId = userId;
        socket.data.tokenExp = exp;
        socket.data.joined = new Map();
        next();
      },
      async (err: unknown) => {
        await limiters.failedHandshakeFrom(socket.data.clientIp);
        const message = err instanceof AppError ? err.message : 'token invalid';
        metrics.connectionsTotal.inc({ result: 'refused', reason: ErrorCode.UNAUTHENTICATED });
        next(handshakeError(ErrorCode.UNAUTHENTICATED, message));
      },
    );
  };
