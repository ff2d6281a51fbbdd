import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { JwtService } from '../auth/jwt.service.js';
import { AppConfig } from '../config/app-config.js';
import { StorageBackend } from '../engine/storage-backend.js';
import { demoPageEnabled } from './demo-static.js';

/** Dev tokens live an hour: the page asks for a new one when the SDK refreshes. */
export const DEV_TOKEN_TTL_S = 3600;

export type DevTokenResult = { token: string } | { refused: 'unavailable' | 'rate-limited' };

/**
 * "Log in with a dev token": a token for any user id, so the demo page works right after
 * `npm start`. Only where such a token can do no harm: a process with no AUTH_JWT_SECRET
 * (its random secret makes the token good on this process only), outside production, with
 * the demo page on. A server configured with a real secret never mints tokens, whatever
 * NODE_ENV and DEMO_PAGE say (a forgotten NODE_ENV must not open a door). The
 * controller's guard hides the route otherwise, and this refuses too. Per IP,
 * RATE_CONN_PER_MINUTE_PER_IP tokens a minute (a counter of its own).
 */
@Injectable()
export class DevTokens {
  private readonly logger = new Logger(DevTokens.name);
  private readonly perIp: RateLimiterAbstract;

  constructor(
    private readonly config: AppConfig,
    private readonly jwt: JwtService,
    storage: StorageBackend,
  ) {
    this.perIp = storage.limiter({
      points: config.get('RATE_CONN_PER_MINUTE_PER_IP'),
      duration: 60,
      keyPrefix: 'demo-token-ip',
    });
  }

  /** Whether this process mints dev tokens at all. */
  get available(): boolean {
    return (
      !this.config.isProduction &&
      !this.config.get('AUTH_JWT_SECRET') &&
      demoPageEnabled(this.config)
    );
  }

  async issue(userId: string, ip: string): Promise<DevTokenResult> {
    if (!this.available) {
      return { refused: 'unavailable' };
    }
    try {
      await this.perIp.consume(ip);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { refused: 'rate-limited' };
      }
      // The store and its insurance both failed: as the handshake limiters, allow.
      this.logger.warn({ msg: 'rate limiter unavailable, allowing', err: String(rejection) });
    }
    this.logger.debug({ msg: 'dev token issued', userId });
    return { token: await this.jwt.sign(userId, DEV_TOKEN_TTL_S) };
  }
}
