import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { StorageBackend } from '../engine/storage-backend.js';
import { EventBudget } from './event-budget.js';

/** How a limiter answered: allowed, refused, or (storage failed everywhere) allowed anyway. */
export type LimitVerdict = 'allowed' | 'refused';

/**
 * The rate limiters. Handshakes per IP are counted wherever the storage is shared
 * (cluster-wide on Redis, with an in-memory insurance while Redis is away), in two budgets
 * that tell an attacker from a restart: failed handshakes (no or invalid token) strictly,
 * RATE_CONN_PER_MINUTE_PER_IP; handshakes with a valid token against the much higher
 * RATE_CONN_VALID_PER_MINUTE_PER_IP, so a reconnect wave from one address passes. Events
 * per socket are local (a socket lives on one process): each socket holds an EventBudget
 * of RATE_EVENTS_PER_SECOND with bursts up to twice that, checked without a promise.
 */
@Injectable()
export class Limiters {
  private readonly logger = new Logger(Limiters.name);
  private readonly failedPerIp: RateLimiterAbstract;
  private readonly validPerIp: RateLimiterAbstract;
  private readonly eventsPerSecond: number;

  constructor(config: AppConfig, storage: StorageBackend) {
    this.failedPerIp = storage.limiter({
      points: config.get('RATE_CONN_PER_MINUTE_PER_IP'),
      duration: 60,
      keyPrefix: 'conn-ip',
    });
    this.validPerIp = storage.limiter({
      points: config.get('RATE_CONN_VALID_PER_MINUTE_PER_IP'),
      duration: 60,
      keyPrefix: 'conn-ip-valid',
    });
    this.eventsPerSecond = config.get('RATE_EVENTS_PER_SECOND');
  }

  /**
   * Whether `ip` has spent its budget of failed handshakes this minute; asked before any
   * token is verified, so a flood costs no crypto. Only reads: a valid handshake spends none.
   */
  async failedBudgetSpent(ip: string): Promise<boolean> {
    try {
      const used = await this.failedPerIp.get(ip);
      return used !== null && used.consumedPoints >= this.failedPerIp.points;
    } catch (err) {
      this.unavailable('failed handshakes per IP', err);
      return false;
    }
  }

  /** Counts a handshake from `ip` whose token was missing or invalid. */
  async failedHandshakeFrom(ip: string): Promise<void> {
    // Over the budget is no news here: the next handshake's failedBudgetSpent refuses it.
    await this.verdict(this.failedPerIp.consume(ip), 'failed handshakes per IP');
  }

  /** Counts a handshake from `ip` whose token is valid, against the high ceiling. */
  validHandshakeFrom(ip: string): Promise<LimitVerdict> {
    return this.verdict(this.validPerIp.consume(ip), 'valid handshakes per IP');
  }

  /** A new socket's allowance of events. */
  eventBudget(): EventBudget {
    return new EventBudget(this.eventsPerSecond);
  }

  private async verdict(consumed: Promise<unknown>, limit: string): Promise<LimitVerdict> {
    try {
      await consumed;
      return 'allowed';
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return 'refused';
      }
      this.unavailable(limit, rejection);
      return 'allowed';
    }
  }

  /** Both the store and its insurance failed: let traffic through rather than lock everyone out. */
  private unavailable(limit: string, err: unknown): void {
    this.logger.warn({ msg: 'rate limiter unavailable, allowing', limit, err: String(err) });
  }
}
