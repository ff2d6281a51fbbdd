import { Logger } from '@nestjs/common';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { AppConfig, RedisTarget } from '../config/app-config.js';
import { shutdownBudget, within } from '../shutdown/shutdown-budget.js';
import type { RedisClient } from './redis-client.js';
import { TransactionPool } from './transaction-pool.js';
import { ClusterTransactions, ServerTransactions, type Transactions } from './transactions.js';

/** The private ioredis method that rejects queued commands (see failInFlight). */
interface QueueFlusher {
  flushQueue(error: Error, options: { offlineQueue: boolean; commandQueue: boolean }): void;
}

/**
 * Rejects the commands that were in flight on a connection that just closed. With resend
 * off, ioredis would otherwise leave them to the command timeout; failing them now lets
 * their callers learn at once that the outcome is in doubt.
 */
function failInFlight(client: Redis): void {
  (client as unknown as QueueFlusher).flushQueue(new Error('Connection is closed.'), {
    offlineQueue: false,
    commandQueue: true,
  });
}

export type RedisRole = 'command' | 'adapter-pub' | 'adapter-sub';

/** Pauses between attempts to reach Redis (or a cluster's nodes) again. */
const reconnectDelay = (attempt: number): number => Math.min(50 * 2 ** attempt, 2000);

/**
 * The process's Redis clients by role, created once and closed last, on one server
 * (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). All speak RESP2: ioredis 6
 * defaults to RESP3, which @socket.io/redis-adapter was not built against, and pinning
 * one protocol keeps Lua and pub/sub replies in the shapes we test.
 */
export class RedisConnections {
  private readonly logger = new Logger('Redis');
  readonly command: RedisClient;
  readonly adapterPub: RedisClient;
  readonly adapterSub: RedisClient;
  /** Dedicated connections for WATCH/MULTI/EXEC: WATCH is per connection. */
  readonly transactions: Transactions;

  constructor(
    private readonly target: RedisTarget,
    private readonly config: AppConfig,
  ) {
    const options: RedisOptions = {
      protocol: 2,
      connectionName: `avalon:${config.nodeId}`,
      commandTimeout: config.get('REDIS_COMMAND_TIMEOUT_MS'),
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectDelay,
    };
    // No queue and no resend: a write whose reply was lost is in doubt, and only its caller
    // (see engine/redis/in-doubt.ts) may send it again, before its deadline.
    this.command = this.create('command', {
      ...options,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    });
    // Pub/sub connections must not time out: SUBSCRIBE has no reply deadline to honour.
    const pubSub = { ...options, commandTimeout: undefined, maxRetriesPerRequest: null };
    this.adapterPub = this.create('adapter-pub', pubSub);
    this.adapterSub = this.create('adapter-sub', pubSub);
    const pool = {
      size: config.get('REDIS_POOL_SIZE'),
      acquireTimeoutMs: config.get('REDIS_POOL_ACQUIRE_TIMEOUT_MS'),
      commandTimeoutMs: config.get('REDIS_COMMAND_TIMEOUT_MS'),
      name: `avalon-tx:${config.nodeId}`,
    };
    this.transactions =
      'url' in target
        ? new ServerTransactions(new TransactionPool({ ...pool, url: target.url }))
        : new ClusterTransactions(this.command as Cluster, pool);
  }

  /** Every client is connected and ready. */
  get up(): boolean {
    return this.all().every((client) => client.status === 'ready');
  }

  /** Per-role status, for readiness details. */
  statuses(): Record<RedisRole, string> {
    return {
      command: this.command.status,
      'adapter-pub': this.adapterPub.status,
      'adapter-sub': this.adapterSub.status,
    };
  }

  /**
   * Polite QUIT, but bounded (SHUTDOWN_CLOSE_TIMEOUT_MS): with Redis away or stopped a
   * QUIT would wait as long as the outage, so past the deadline the sockets are dropped.
   */
  async close(): Promise<void> {
    const { poolDrainMs, quitMs } = shutdownBudget(this.config);
    await within(this.transactions.drain(), poolDrainMs);
    this.transactions.close();
    const quits = this.all().map(async (client) => {
      if (!(await within(client.quit(), quitMs)) || client.status !== 'end') {
        client.disconnect();
      }
    });
    await Promise.all(quits);
  }

  private all(): RedisClient[] {
    return [this.command, this.adapterPub, this.adapterSub];
  }

  private create(role: RedisRole, options: RedisOptions): RedisClient {
    const client = this.open(role, options);
    let wasReady = false;
    // Without an error listener ioredis errors would crash the process.
    client.on('error', (err: Error) =>
      this.logger.warn({ msg: 'redis error', role, err: err.message }),
    );
    client.on('ready', () => {
      wasReady = true;
      this.logger.log({ msg: 'redis up', role });
    });
    client.on('close', () => {
      if (wasReady) {
        wasReady = false;
        this.logger.warn({ msg: 'redis down', role });
      }
    });
    return client;
  }

  private open(role: RedisRole, options: RedisOptions): RedisClient {
    if ('url' in this.target) {
      const client = new Redis(this.target.url, options);
      if (role === 'command') {
        client.on('close', () => failInFlight(client));
      }
      return client;
    }
    const { enableOfflineQueue, ...nodeOptions } = options;
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...nodeOptions, enableAutoPipelining: false },
      enableOfflineQueue,
      // Each command on its own: ioredis follows MOVED, ASK and TRYAGAIN for a single
      // command, but not for an auto-pipelined batch that mixes slots or outcomes.
      enableAutoPipelining: false,
      // The ready check (CLUSTER INFO) goes to a node connection that may still be
      // connecting; without an offline queue it is refused, and the client reconnected in
      // a loop and never became ready (seen on Node 24). Readiness checks the masters itself.
      enableReadyCheck: false,
      // Never resend a command whose connection closed: its outcome is in doubt and only
      // its caller may send it again (engine/redis/in-doubt.ts), with the same request id.
      retryDelayOnFailover: 0,
      clusterRetryStrategy: reconnectDelay,
      // Nodes that drop reconnect (a restarted replica keeps its slots; MOVED covers the rest).
      clusterNodeRetryStrategy: reconnectDelay,
      // The adapter's sharded channels live on the master of their slot (SSUBSCRIBE).
      shardedSubscribers: role === 'adapter-sub',
    };
    const cluster = new Cluster(this.target.clusterNodes, clusterOptions);
    cluster.on('node error', (err: Error, node: string) =>
      this.logger.warn({ msg: 'redis node error', role, node, err: err.message }),
    );
    if (role === 'command') {
      cluster.on('+node', (node: Redis) =>
        node.on('close', () => {
          failInFlight(node);
          cluster.refreshSlotsCache(); // a master that dropped may have been replaced
        }),
      );
    }
    return cluster;
  }
}
