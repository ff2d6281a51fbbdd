import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Server } from 'socket.io';
import { isCluster } from '../redis/redis-client.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { StorageBackend, type LimiterBudget } from './storage-backend.js';

/**
 * Shared Redis (one server or a cluster): the Redis adapter (its channels under REDIS_KEY_PREFIX), cluster-wide
 * limiters with an in-memory insurance while Redis is away, and the clients' statuses.
 */
export class RedisBackend extends StorageBackend {
  readonly name = 'redis';

  constructor(
    private readonly connections: RedisConnections,
    private readonly prefix: string,
  ) {
    super();
  }

  /**
   * One Redis: the classic adapter (PUBLISH). A cluster: the sharded adapter (SPUBLISH,
   * Redis 7), each room on a channel of its own, so broadcasts spread over the masters
   * instead of every node relaying every message.
   */
  attachAdapter(server: Server): void {
    const { adapterPub, adapterSub } = this.connections;
    const channels = `${this.prefix}:socket.io`;
    server.adapter(
      isCluster(adapterPub)
        ? createShardedAdapter(adapterPub, adapterSub, {
            channelPrefix: channels,
            subscriptionMode: 'dynamic',
          })
        : createAdapter(adapterPub, adapterSub, { key: channels }),
    );
  }

  limiter(budget: LimiterBudget): RateLimiterAbstract {
    return new RateLimiterRedis({
      ...budget,
      storeClient: this.connections.command,
      keyPrefix: `${this.prefix}:rl:${budget.keyPrefix}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(budget),
    });
  }

  readiness(): Record<string, boolean> {
    const checks: Record<string, boolean> = {};
    for (const [role, status] of Object.entries(this.connections.statuses())) {
      checks[`redis:${role}`] = status === 'ready';
    }
    return checks;
  }

  up(): boolean {
    return this.connections.up;
  }
}
