import { Injectable, Logger } from '@nestjs/common';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config.js';
import { StorageBackend } from '../engine/storage-backend.js';

/** How a limiter answered: allowed, refused, or (storage failed everywhere) allowed anyway. */
export type LimitVerdict = 'allowed' | 'refused';

/**
 * The rate limiters. New connections per IP are counted wherever the storage is shared
 * (cluster-wide on Redis, with an in-memory insurance while Redis is away); events per
 * socket are local (a socket lives on one process): a token bucket of
 * RATE_EVENTS_PER_SECOND with bursts up to twice that.
 */
@Injectable()
export class Limiters {
  private readonly logger = new Logger(Limiters.name);
  private readonly connectionsPerIp: RateLimiterAbstract;
  private readonly eventsPerSocket: BurstyRateLimiter;
  private readonly floodStrikes: RateLimiterMemory;

  constructor(config: AppConfig, storage: StorageBackend) {
    this.connectionsPerIp = storage.limiter({
      points: config.get('RATE_CONN_PER_MINUTE_PER_IP'),
      duration: 60,
      keyPrefix: 'conn-ip',
    });
    const rate = config.get('RATE_EVENTS_PER_SECOND');
    this.eventsPerSocket = new BurstyRateLimiter(
      new RateLimiterMemory({ points: rate, duration: 1, keyPrefix: 'events' }),
      new RateLimiterMemory({ points: rate, duration: 2, keyPrefix: 'events-burst' }),
    );
    // Refused for 10 s on end at the full rate is flooding, not a burst: disconnect.
    this.floodStrikes = new RateLimiterMemory({
      points: rate * 10,
      duration: 10,
      keyPrefix: 'flood',
    });
  }

  connectionFrom(ip: string): Promise<LimitVerdict> {
    return this.verdict(this.connectionsPerIp.consume(ip), 'connections per IP');
  }

  eventFrom(socketId: string): Promise<LimitVerdict> {
    return this.verdict(this.eventsPerSocket.consume(socketId), 'events per socket');
  }

  /** Records a refused event; 'refused' once the socket has been refused too often. */
  strike(socketId: string): Promise<LimitVerdict> {
    return this.verdict(this.floodStrikes.consume(socketId), 'flood strikes');
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
