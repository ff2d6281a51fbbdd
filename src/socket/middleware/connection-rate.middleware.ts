import { ErrorCode } from '@avalon-realtime/client/protocol';
import type { RealtimeMetrics } from '../../metrics/realtime.metrics.js';
import { clientIp } from '../../rate-limit/client-ip.js';
import type { Limiters } from '../../rate-limit/limiters.js';
import type { PresenceExemption } from '../../rate-limit/presence-exemption.js';
import type { AppSocket } from '../socket-types.js';
import { handshakeError } from './handshake-error.js';

type Next = (err?: Error) => void;

function refuse(metrics: RealtimeMetrics, limit: string, next: Next): void {
  metrics.rateLimited.inc({ limit });
  metrics.connectionsTotal.inc({ result: 'refused', reason: ErrorCode.RATE_LIMITED });
  next(
    handshakeError(ErrorCode.RATE_LIMITED, 'too many connections from your address: wait a minute'),
  );
}

/**
 * Runs first: an IP that spent its budget of failed handshakes (RATE_CONN_PER_MINUTE_PER_IP)
 * is refused before its token is verified, so a flood or credential stuffing costs no
 * crypto. Notes the client's address for the auth middleware, which counts a failure.
 */
export const failedHandshakeRateMiddleware =
  (limiters: Limiters, metrics: RealtimeMetrics, trustProxy: number) =>
  (socket: AppSocket, next: Next): void => {
    const ip = clientIp(socket.request, trustProxy);
    socket.data.clientIp = ip;
    void limiters.failedBudgetSpent(ip).then((spent) => {
      if (!spent) {
        return next();
      }
      refuse(metrics, 'connections_per_ip', next);
    });
  };

/**
 * Runs after auth: a valid handshake counts against the high ceiling
 * RATE_CONN_VALID_PER_MINUTE_PER_IP, so a reconnect wave from one address passes. Over the
 * ceiling, a user who holds a presence connection still passes (PresenceExemption).
 */
export const validHandshakeRateMiddleware =
  (limiters: Limiters, exemption: PresenceExemption, metrics: RealtimeMetrics) =>
  (socket: AppSocket, next: Next): void => {
    void limiters
      .validHandshakeFrom(socket.data.clientIp)
      .then(async (verdict) => verdict === 'allowed' || exemption.applies(socket.data.userId))
      .then((admitted) => {
        if (admitted) {
          return next();
        }
        refuse(metrics, 'valid_connections_per_ip', next);
      });
  };
