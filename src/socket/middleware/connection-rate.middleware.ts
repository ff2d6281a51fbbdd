import { ErrorCode } from '../../common/protocol/index.js';
import type { RealtimeMetrics } from '../../metrics/realtime.metrics.js';
import { clientIp } from '../../rate-limit/client-ip.js';
import type { Limiters } from '../../rate-limit/limiters.js';
import type { PresenceExemption } from '../../rate-limit/presence-exemption.js';
import type { AppSocket } from '../socket-types.js';
import { handshakeError } from './handshake-error.js';

/**
 * New connections per IP per minute; runs first, so failed handshakes count too. Over the
 * limit, a user who holds a presence connection still passes (PresenceExemption).
 */
export const connectionRateMiddleware =
  (
    limiters: Limiters,
    exemption: PresenceExemption,
    metrics: RealtimeMetrics,
    trustProxy: number,
  ) =>
  (socket: AppSocket, next: (err?: Error) => void): void => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    void limiters
      .connectionFrom(clientIp(socket.request, trustProxy))
      .then(async (verdict) => verdict === 'allowed' || (await exemption.applies(token)))
      .then((admitted) => {
        if (admitted) {
          return next();
        }
        metrics.rateLimited.inc({ limit: 'connections_per_ip' });
        metrics.connectionsTotal.inc({ result: 'refused', reason: ErrorCode.RATE_LIMITED });
        next(
          handshakeError(
            ErrorCode.RATE_LIMITED,
            'too many connections from your address: wait a minute',
          ),
        );
      });
  };
