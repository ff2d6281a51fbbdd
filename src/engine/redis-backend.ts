import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Server } from 'socket.io';
import { withDeadline } from '../common/storage-deadline.js';
import { Logger } from '@nestjs/common';
import type { Cluster } from 'ioredis';
import { isCluster } from '../redis/redis-client.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { StorageBackend, type LimiterBudget } from './storage-backend.js';

/**
 * Shared Redis (one server or a cluster): the Redis adapter (its channels under REDIS_KEY_PREFIX), cluster-wide
 * limiters with an in-memory insurance while Redis is away, and the clients' statuses.
 */
export class RedisBackend extends StorageBackend {
  readonly name = 'redis';
  private server?: Server;

  constructor(
    private readonly connections: RedisConnections,
    private readonly prefix: string,
    private readonly commandTimeoutMs: number,
  ) {
    super();
  }

  /**
   * One Redis: the classic adapter (PUBLISH). A cluster: the sharded adapter (SPUBLISH,
   * Redis 7), each room on a channel of its own, so broadcasts spread over the masters
   * instead of every node relaying every message.
   */
  attachAdapter(server: Server): void {
    this.server = server;
    const { adapterPub, adapterSub } = this.connections;
    const channels = this.channelPrefix;
    if (isCluster(adapterSub)) {
      settleDroppedSubscriptions(adapterSub);
    }
    server.adapter(
      isCluster(adapterPub)
        ? createShardedAdapter(adapterPub, adapterSub, {
            channelPrefix: channels,
            subscriptionMode: 'dynamic',
          })
        : createAdapter(adapterPub, adapterSub, { key: channels }),
    );
  }

  /**
   * On a cluster the sharded adapter sends SSUBSCRIBE for a room's channel when its first
   * local socket joins, without waiting for it. The same SSUBSCRIBE again on the same
   * connection answers only after that one took effect (Redis answers in order).
   */
  override async subscribed(room: string): Promise<void> {
    const { adapterSub } = this.connections;
    if (!isCluster(adapterSub)) {
      return;
    }
    const channel = `${this.channelPrefix}#/#${room}#`;
    // UNAVAILABLE when its master does not answer in time: the client joins again.
    await withDeadline(this.commandTimeoutMs, () => adapterSub.ssubscribe(channel));
    // The room may have emptied meanwhile, its SUNSUBSCRIBE sent before ours: undo ours.
    if (!this.server?.of('/').adapter.rooms.has(room)) {
      await withDeadline(this.commandTimeoutMs, () => adapterSub.sunsubscribe(channel));
    }
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

  /** The adapter's channels, under REDIS_KEY_PREFIX. */
  private get channelPrefix(): string {
    return `${this.prefix}:socket.io`;
  }

  up(): boolean {
    return this.connections.up;
  }
}

const logger = new Logger('RedisAdapter');

/**
 * The sharded adapter sends SSUBSCRIBE and SUNSUBSCRIBE without keeping their promises, so
 * one sent on a connection that closes (a master failing over) became an unhandled
 * rejection. Each now settles here, logged; the join that needs the subscription waits for
 * its own SSUBSCRIBE (`subscribed`) and answers UNAVAILABLE when that fails.
 */
function settleDroppedSubscriptions(client: Cluster): void {
  for (const command of ['ssubscribe', 'sunsubscribe'] as const) {
    const send = client[command].bind(client) as (...channels: string[]) => Promise<unknown>;
    const settled = (...channels: string[]): Promise<unknown> => {
      const reply = send(...channels);
      reply.catch((err: Error) =>
        logger.warn({ msg: `adapter ${command} failed`, channels, err: err.message }),
      );
      return reply;
    };
    Object.assign(client, { [command]: settled });
  }
}
