import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { StorageBackend } from '../engine/storage-backend.js';
import { EventBudget } from './event-budget.js';

/** How a limiter answered: allowed, refused, or (storage failed everywhere) allowed anyway. */
export type LimitVerdict = 'allowed' | 'refused';

/**
 * The rate limiters. New connections per IP are counted wherever the storage is shared
 * (cluster-wide on Redis, with an in-memory insurance while Redis is away); events per
 * socket are local (a socket lives on one process): each socket holds an EventBudget of
 * RATE_EVENTS_PER_SECOND with bursts up to twice that, checked without a promise.
 */
@Injectable()
export class Limiters {
  private readonly logger = new Logger(Limiters.name);
  private readonly connectionsPerIp: RateLimiterAbstract;
  private readonly eventsPerSecond: number;

  constructor(config: AppConfig, storage: StorageBackend) {
    this.connectionsPerIp = storage.limiter({
      points: config.get('RATE_CONN_PER_MINUTE_PER_IP'),
      duration: 60,
      keyPrefix: 'conn-ip',
    });
    this.eventsPerSecond = config.get('RATE_EVENTS_PER_SECOND');
  }

  connectionFrom(ip: string): Promise<LimitVerdict> {
    return this.verdict(this.connectionsPerIp.consume(ip), 'connections per IP');
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
      // Both the store and its insurance failed: let traffic through rather than lock everyone out.
      this.logger.warn({
        msg: 'rate limiter unavailable, allowing',
        limit,
        err: String(rejection),
      });
      return 'allowed';
    }
  }
}
